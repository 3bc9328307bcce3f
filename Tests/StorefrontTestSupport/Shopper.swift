import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// A shopper's calls, as small helpers the scenario tests read like a story with.
public struct Shopper: Sendable {
    public let client: any TestClientProtocol

    public init(client: any TestClientProtocol) { self.client = client }

    public static let adminToken = "test-admin-token-0123456789abcdef"
    /// `Cart-Token`, for a test that also sees the HTTP layer's own name for it (`@testable import`).
    public static let cartTokenHeader = HTTPField.Name.cartToken

    public struct OpenedCart: Sendable {
        public var id: String
        public var token: String

        public init(id: String, token: String) {
            self.id = id
            self.token = token
        }
    }

    public func openCart() async throws -> OpenedCart {
        let response = try await client.execute(uri: "/v1/carts", method: .post, headers: [:], body: nil)
        #expect(response.status == .created)
        let body = try response.json()
        // A refusal (a problem document) fails this test, not the whole test process.
        return OpenedCart(id: try #require(body["id"] as? String), token: try #require(body["token"] as? String))
    }

    @discardableResult
    public func set(_ sku: String, quantity: Int, in cart: OpenedCart, ifMatch: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.cartToken: cart.token, .contentType: "application/json"]
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return try await client.execute(
            uri: "/v1/carts/\(cart.id)/items/\(sku)",
            method: .put,
            headers: headers,
            body: ByteBuffer(string: #"{"quantity": \#(quantity)}"#)
        )
    }

    public func cart(_ cart: OpenedCart) async throws -> TestResponse {
        try await client.execute(uri: "/v1/carts/\(cart.id)", method: .get, headers: [.cartToken: cart.token], body: nil)
    }

    public static func checkoutBody(_ cartID: String, email: String = "ada@example.org") -> String {
        """
        {"cart_id": "\(cartID)", "email": "\(email)", "shipping_address": {"name": "Ada Lovelace",
         "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}}
        """
    }

    public func checkout(_ cart: OpenedCart, key: String = UUID().uuidString, body: String? = nil) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/orders",
            method: .post,
            headers: [.cartToken: cart.token, .idempotencyKey: key, .contentType: "application/json"],
            body: ByteBuffer(string: body ?? Self.checkoutBody(cart.id))
        )
    }

    /// Every cart checked out at once, each with its own key: a race for stock.
    public func checkoutAll(_ carts: [OpenedCart]) async throws -> [TestResponse] {
        try await withThrowingTaskGroup(of: TestResponse.self) { group in
            for cart in carts { group.addTask { try await checkout(cart) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    public func order(_ id: String, token: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.orderToken] = token }
        return try await client.execute(uri: "/v1/orders/\(id)", method: .get, headers: headers, body: nil)
    }

    public func cancel(_ id: String, token: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/orders/\(id)/cancel", method: .post, headers: [.orderToken: token], body: nil)
    }

    public func admin(
        _ method: HTTPRequest.Method,
        _ uri: String,
        body: String? = nil,
        token: String? = adminToken,
        idempotencyKey: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    public func setStock(_ sku: String, _ available: Int) async throws {
        let response = try await admin(.put, "/v1/admin/stock/\(sku)", body: #"{"available": \#(available)}"#)
        #expect(response.status == .ok)
    }
}

extension HTTPField.Name {
    public static let cartToken = Self("Cart-Token")!
    public static let orderToken = Self("Order-Token")!
    public static let idempotencyKey = Self("Idempotency-Key")!
    public static let idempotentReplayed = Self("Idempotent-Replayed")!
    public static let region = Self("X-Region")!
    public static let forwardedBy = Self("Storefront-Forwarded-By")!
    public static let peerSecret = Self("Storefront-Peer-Secret")!
}
