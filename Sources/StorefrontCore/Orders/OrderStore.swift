import Foundation

/// Orders and checkout, as the serving region keeps them.
public protocol OrderStore: Sendable {
    /// Checkout, exactly once per idempotency key, in one transaction: claims the key, places the order for
    /// the cart (with `orderToken` opening it) or decides why it cannot, and records that outcome with the key.
    /// A later request with the key and the same checkout gets the recorded outcome as a replay; one with
    /// another checkout is refused (`idempotencyKeyReused`). Refusals are outcomes, not errors: what is thrown
    /// changed nothing.
    func checkout(_ request: Checkout, cartToken: AccessToken, orderToken: AccessToken, idempotencyKey: String) async throws -> CheckoutOutcome

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

/// What a checkout came to.
public struct CheckoutOutcome: Sendable {
    public enum Result: Sendable {
        /// The order the checkout placed, as it is now.
        case placed(Order)
        /// Why the checkout placed no order: the cart, its lines or the stock said no.
        case refused(StorefrontError)
        /// The answer an earlier binary stored for the key, byte for byte (it kept answers, not outcomes).
        case storedAnswer(status: Int, body: [UInt8])
    }

    public var result: Result
    /// Whether an earlier request with the key decided this, and this request only hears it again.
    public var replayed: Bool

    public init(_ result: Result, replayed: Bool) {
        self.result = result
        self.replayed = replayed
    }
}
