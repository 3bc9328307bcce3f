import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StorefrontCore
import StorefrontHealth
import StorefrontTracing

/// `POST /v1/orders` (checkout), `GET /v1/orders/{id}`, `POST /v1/orders/{id}/cancel`.
///
/// Each is served by the region that owns the cart or the order while that region can (`HomeForwarder`).
public struct OrderController<Store: OrderStore>: Sendable {
    let store: Store
    let home: HomeForwarder

    public init(store: Store, home: HomeForwarder) {
        self.store = store
        self.home = home
    }

    public func addRoutes(checkout: FlowGroup, orderHistory: FlowGroup) {
        checkout.post("orders", limit: .checkout, use: self.checkout)
        orderHistory.get("orders/{id}", use: show)
        orderHistory.post("orders/{id}/cancel", use: cancel)
    }

    /// Checkout, exactly once per `Idempotency-Key`: a retry of the same request gets the key's outcome again
    /// (the order as it is now, or the same refusal), a retry that arrives while the first is running waits
    /// for it, another request with the key is refused (422).
    @Sendable func checkout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let key = try request.idempotencyKey()
        let raw = try await context.requestDecoder.collect(request, context: context)
        let body = try context.requestDecoder.decode(CheckoutRequest.self, from: raw)
        let checkout = try body.validated()
        guard let cartToken = request.token(.cartToken) else { throw StorefrontError.notFound(resource: "cart") }
        return try await home.serve(request, body: raw, id: checkout.cartID, context: context) {
            try await checkoutHere(checkout, key: key, cartToken: cartToken)
        }
    }

    private func checkoutHere(_ checkout: Checkout, key: String, cartToken: AccessToken) async throws -> Response {
        // The order token is derived, not stored: a replay in any region derives the same one.
        let orderToken = AccessToken.order(cartToken: cartToken, idempotencyKey: key)
        let outcome = try await Spans.withSpan("OrderStore.checkout") { span in
            let outcome = try await store.checkout(checkout, cartToken: cartToken, orderToken: orderToken, idempotencyKey: key)
            span?.set("storefront.checkout.replayed", outcome.replayed)
            return outcome
        }
        var response: Response
        switch outcome.result {
        case .placed(let order):
            response = Self.respond(order, token: orderToken, status: .created)
        case .refused(let refusal):
            response = ProblemMiddleware.response(Problem.from(refusal))
        case .storedAnswer(let status, let body):
            response = Response.bytes(
                ByteBuffer(bytes: body),
                status: .init(code: status),
                contentType: status >= 400 ? "application/problem+json" : "application/json"
            )
        }
        response.headers[.cacheControl] = "no-store"
        if outcome.replayed { response.headers[.idempotentReplayed] = "true" }
        return response
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (id, token) = try identify(request, context)
        return try await home.serve(request, id: id, context: context) {
            Self.respond(try await Spans.withSpan("OrderStore.order") { _ in try await store.order(id, token: token) })
        }
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (id, token) = try identify(request, context)
        return try await home.serve(request, id: id, context: context) {
            Self.respond(try await Spans.withSpan("OrderStore.cancel") { _ in try await store.apply(.cancel, to: id, token: token) })
        }
    }

    private func identify(_ request: Request, _ context: AppRequestContext) throws -> (UUID, AccessToken) {
        guard let id = context.parameters.get("id", as: UUID.self), let token = request.token(.orderToken) else {
            throw StorefrontError.notFound(resource: "order")
        }
        return (id, token)
    }

    static func respond(_ order: Order, token: AccessToken? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var response = JSON.response(OrderBody(order, token: token).encoded(), status: status)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
