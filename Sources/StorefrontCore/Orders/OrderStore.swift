import Foundation

/// Orders and checkout, as the serving region keeps them.
public protocol OrderStore: Sendable {
    /// Claims an idempotency key for a checkout, by inserting it.
    func claim(idempotencyKey: String, fingerprint: [UInt8]) async throws -> IdempotencyClaim

    /// Places the order for the cart in one transaction and stores `render(order)` as the key's response in
    /// the same transaction, so an acknowledged order and its replayable response never part.
    func checkout(
        _ request: Checkout,
        cartToken: AccessToken,
        orderToken: AccessToken,
        idempotencyKey: String,
        render: @Sendable (Order) throws -> StoredResponse
    ) async throws -> StoredResponse

    /// Records the final response of a checkout that failed with a client error, or releases the key
    /// (`nil`) after a server error so that a retry can run.
    func settle(idempotencyKey: String, response: StoredResponse?) async throws

    func order(_ id: UUID, token: AccessToken) async throws -> Order

    /// Applies `event` to the order; a cancel gives its units back to stock exactly once. A nil token is
    /// an admin acting on any order.
    func apply(_ event: OrderEvent, to id: UUID, token: AccessToken?) async throws -> Order

    /// Orders homed here, newest first, optionally of one status, each with its position for the next page
    /// (`after`); positions are creation times in microseconds, exact, unlike `Date`.
    func orders(status: OrderStatus?, after: PageCursor?, limit: Int) async throws -> [(order: Order, position: PageCursor)]

    /// The latest reconciled duplicates in every region, newest first.
    func reconciliations(limit: Int) async throws -> [OrderReconciliation]
}

/// A response kept for an idempotency key: replayed byte for byte.
public struct StoredResponse: Sendable, Hashable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

public enum IdempotencyClaim: Sendable, Hashable {
    /// The key is ours: run the checkout.
    case claimed
    /// The same request already finished: return this.
    case replay(StoredResponse)
}
