import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StorefrontCore
import StorefrontHealth

/// `POST /v1/orders` (checkout), `GET /v1/orders/{id}`, `POST /v1/orders/{id}/cancel`.
///
/// Each is served by the region that owns the cart or the order while that region can (`HomeRouter`).
public struct OrderController<Store: OrderStore>: Sendable {
    let store: Store
    let home: HomeRouter

    public init(store: Store, home: HomeRouter) {
        self.store = store
        self.home = home
    }

    public func addRoutes(checkout: FlowGroup, orderHistory: FlowGroup) {
        checkout.post("orders", use: self.checkout)
        orderHistory.get("orders/{id}", use: show)
        orderHistory.post("orders/{id}/cancel", use: cancel)
    }

    /// Checkout, exactly once per `Idempotency-Key`: a retry of the same request gets the stored response,
    /// a request still running makes the retry wait (409, `Retry-After`), another request with the key is
    /// refused (422).
    @Sendable func checkout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let key = try request.idempotencyKey()
        let raw = try await context.requestDecoder.collect(request, context: context)
        let body = try context.requestDecoder.decode(CheckoutRequest.self, from: raw)
        let checkout = try body.validated()
        guard let cartToken = request.token(.cartToken) else { throw StorefrontError.notFound(resource: "cart") }
        return try await home.serve(request, body: raw, id: checkout.cartID, flow: .checkout, context: context) {
            try await checkoutHere(checkout, key: key, cartToken: cartToken)
        }
    }

    private func checkoutHere(_ checkout: Checkout, key: String, cartToken: AccessToken) async throws -> Response {
        // The order token is derived, not stored: the stored answer keeps an empty slot for it.
        let orderToken = AccessToken.order(cartToken: cartToken, idempotencyKey: key)
        switch try await store.claim(idempotencyKey: key, fingerprint: checkout.fingerprint(cartToken: cartToken)) {
        case .replay(let stored):
            var response = Self.response(stored.revealing(orderToken: orderToken))
            response.headers[.idempotentReplayed] = "true"
            return response
        case .claimed:
            do {
                let stored = try await store.checkout(
                    checkout,
                    cartToken: cartToken,
                    orderToken: orderToken,
                    idempotencyKey: key
                ) { order in
                    StoredResponse(status: 201, body: Array(try JSON.encode(OrderBody(order, token: AccessToken(value: ""))).readableBytesView))
                }
                return Self.response(stored.revealing(orderToken: orderToken))
            } catch {
                // Client errors are the answer to this key; server errors are not, so a retry can succeed.
                let problem = Problem.from(error)
                let settled =
                    problem.status < 500
                    ? StoredResponse(status: problem.status, body: Array((try? JSON.encode(problem))?.readableBytesView ?? []))
                    : nil
                try? await store.settle(idempotencyKey: key, response: settled)
                throw error
            }
        }
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (id, token) = try identify(request, context)
        return try await home.serve(request, id: id, flow: .orderHistory, context: context) {
            try Self.respond(try await store.order(id, token: token))
        }
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (id, token) = try identify(request, context)
        return try await home.serve(request, id: id, flow: .orderHistory, context: context) {
            try Self.respond(try await store.apply(.cancel, to: id, token: token))
        }
    }

    private func identify(_ request: Request, _ context: AppRequestContext) throws -> (UUID, AccessToken) {
        guard let id = context.parameters.get("id", as: UUID.self), let token = request.token(.orderToken) else {
            throw StorefrontError.notFound(resource: "order")
        }
        return (id, token)
    }

    static func respond(_ order: Order) throws -> Response {
        var response = try JSON.response(OrderBody(order))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static func response(_ stored: StoredResponse) -> Response {
        var response = JSON.response(
            ByteBuffer(bytes: stored.body),
            status: .init(code: stored.status),
            contentType: stored.status >= 400 ? "application/problem+json" : "application/json"
        )
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
