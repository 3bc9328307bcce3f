import Foundation
import HTTPTypes
import Hummingbird
import StorefrontCore
import StorefrontHealth
import StorefrontTracing

/// `POST /v1/carts`, `GET /v1/carts/{id}`, `PUT` and `DELETE /v1/carts/{id}/items/{sku}`.
///
/// A cart exists for a caller only with its `Cart-Token`: no token, another cart's token and an unknown or
/// malformed id all get the same 404. A cart is served by its home region while that region can
/// (`HomeForwarder`), so that it never forks while its home is up.
public struct CartController<Store: CartStore>: Sendable {
    let store: Store
    let home: HomeForwarder

    public init(store: Store, home: HomeForwarder) {
        self.store = store
        self.home = home
    }

    public func addRoutes(to group: FlowGroup) {
        group.post("carts", limit: .cartCreate, use: open)
        group.get("carts/{id}", use: show)
        group.put("carts/{id}/items/{sku}", limit: .cartWrite, use: setItem)
        group.delete("carts/{id}/items/{sku}", limit: .cartWrite, use: removeItem)
    }

    @Sendable func open(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = AccessToken.generate()
        let cart = try await Spans.withSpan("CartStore.open") { _ in try await store.open(token: token) }
        var response = respond(cart, token: token, status: .created)
        response.headers[.location] = "/v1/carts/\(cart.id.uuidString.lowercased())"
        return response
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (id, token) = try identify(request, context)
        return try await home.serve(request, id: id, context: context) {
            respond(try await Spans.withSpan("CartStore.cart") { _ in try await store.cart(id, token: token) })
        }
    }

    @Sendable func setItem(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (id, token) = try identify(request, context)
        let raw = try await context.requestDecoder.collect(request, context: context)
        let body = try context.requestDecoder.decode(QuantityRequest.self, from: raw)
        return try await home.serve(request, body: raw, id: id, context: context) {
            try await change(body.quantity, request, context, id, token)
        }
    }

    @Sendable func removeItem(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (id, token) = try identify(request, context)
        return try await home.serve(request, id: id, context: context) {
            try await change(0, request, context, id, token)
        }
    }

    private func change(_ quantity: Int, _ request: Request, _ context: AppRequestContext, _ id: UUID, _ token: AccessToken) async throws -> Response
    {
        let sku = try context.parameters.require("sku")
        let expected = try expectedVersion(request)
        let cart = try await Spans.withSpan("CartStore.setQuantity") { _ in
            try await store.setQuantity(quantity, sku: sku, cart: id, token: token, expectedVersion: expected)
        }
        guard cart.id != id else { return respond(cart) }
        // The cart was homed in a region that is away and was adopted here: a new id, the same token.
        var response = respond(cart, token: token)
        response.headers[.location] = "/v1/carts/\(cart.id.uuidString.lowercased())"
        return response
    }

    private func identify(_ request: Request, _ context: AppRequestContext) throws -> (UUID, AccessToken) {
        guard let id = context.parameters.get("id", as: UUID.self), let token = request.token(.cartToken) else {
            throw StorefrontError.notFound(resource: "cart")
        }
        return (id, token)
    }

    /// `If-Match: "7"` (or `W/"7"`, or `*` for any version).
    private func expectedVersion(_ request: Request) throws -> Int? {
        guard let header = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), header != "*" else { return nil }
        let digits = header.replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let version = Int(digits), version >= 0 else {
            throw StorefrontError.invalid("If-Match", "must be the ETag of the cart, such as \"3\"")
        }
        return version
    }

    private func respond(_ cart: Cart, token: AccessToken? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var response = JSON.response(CartBody(cart, token: token).encoded(), status: status)
        response.headers[.eTag] = "\"\(cart.version)\""
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
