import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import StorefrontCore
import StorefrontTestSupport
import Testing

@Suite struct OrderRouteTests {
    let sku = CatalogOracle().products[12].variants[0].sku

    /// A placed order of two units, with stock left at 8.
    func placeOrder(_ shopper: Shopper, key: String = UUID().uuidString) async throws -> (id: String, token: String, cart: Shopper.OpenedCart) {
        try await shopper.setStock(sku, 10)
        let cart = try await shopper.openCart()
        try await shopper.set(sku, quantity: 2, in: cart)
        let order = try await shopper.checkout(cart, key: key).json()
        return (try order.value("id", as: String.self), try order.value("order_token", as: String.self), cart)
    }

    func stock(_ database: TestDatabase) async throws -> Int {
        let sku = sku
        return try await database.asOwner { owner async throws in
            try await owner.scalar("SELECT available FROM stock WHERE region = 'us-east' AND sku = \(sku)", as: Int.self)
        }
    }

    @Test func cancellingTwiceAtOnceRestoresStockOnce() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let order = try await placeOrder(shopper)
                #expect(try await stock(database) == 8)
                async let first = shopper.cancel(order.id, token: order.token)
                async let second = shopper.cancel(order.id, token: order.token)
                let responses = [try await first, try await second]
                #expect(responses.filter { $0.status == .ok }.count == 1)
                #expect(responses.filter { $0.isProblem("illegal-transition") }.count == 1)
                #expect(try await stock(database) == 10)
                #expect(try await shopper.order(order.id, token: order.token).json()["status"] as? String == "cancelled")
            }
        }
    }

    /// No table holds a usable order token, yet a replay returns it: it is derived from the cart token and the
    /// key, which only the shopper holds. The key keeps its outcome (the order), not an answer.
    @Test func noTableHoldsAUsableOrderToken() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let placed = try await placeOrder(shopper, key: "token-at-rest")
                let token = placed.token
                #expect(token.count >= 43)
                let (key, order) = try await database.asOwner { owner async throws in
                    (
                        try await owner.scalar("SELECT k::text FROM idempotency_keys k", as: String.self),
                        try await owner.scalar("SELECT o::text FROM orders o", as: String.self)
                    )
                }
                #expect(!key.contains(token) && !order.contains(token))
                #expect(key.contains(placed.id.lowercased()))
                let replay = try await shopper.checkout(placed.cart, key: "token-at-rest")
                #expect(replay.headers[.idempotentReplayed] == "true")
                #expect(try replay.json()["order_token"] as? String == token)
                #expect(try await shopper.order(placed.id, token: token).status == .ok)
            }
        }
    }

    /// Only a region may say a request was forwarded to it: such a request is served where it arrives, so a
    /// shopper faking it could make a region adopt a cart whose home is up.
    @Test func aForwardedRequestNeedsThePeerSecret() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: ["STOREFRONT_PEER_SECRET": "the-shared-peer-secret"]) { client in
                let cart = try await Shopper(client: client).openCart()
                for headers: HTTPFields in [
                    [.cartToken: cart.token, .forwardedBy: "eu-west"],
                    [.cartToken: cart.token, .forwardedBy: "eu-west", .peerSecret: "a-guess-of-the-secret"],
                ] {
                    let refused = try await client.get("/v1/carts/\(cart.id)", headers: headers)
                    #expect(refused.status == .forbidden)
                    #expect(refused.isProblem("forbidden"))
                }
                let served = try await client.get(
                    "/v1/carts/\(cart.id)",
                    headers: [.cartToken: cart.token, .forwardedBy: "eu-west", .peerSecret: "the-shared-peer-secret"]
                )
                #expect(served.status == .ok)
            }
            // A region without the secret takes no forwarded request at all.
            try await withTestApp(database) { client in
                let cart = try await Shopper(client: client).openCart()
                let refused = try await client.get(
                    "/v1/carts/\(cart.id)",
                    headers: [.cartToken: cart.token, .forwardedBy: "eu-west", .peerSecret: ""]
                )
                #expect(refused.status == .forbidden)
            }
        }
    }

    @Test func anOrderIsInvisibleWithoutItsOwnToken() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let order = try await placeOrder(shopper)
                let missing = try await shopper.order(UUID().uuidString, token: order.token)
                #expect(missing.status == .notFound)
                for attempt in [
                    try await shopper.order(order.id, token: nil),
                    try await shopper.order(order.id, token: order.cart.token),
                    try await shopper.order(order.id, token: "guess"),
                    try await shopper.order("12345", token: order.token),
                    try await shopper.cancel(order.id, token: order.cart.token),
                    try await client.get("/v1/carts/\(order.id)", headers: [.cartToken: order.token]),
                ] {
                    #expect(attempt.status == .notFound)
                    #expect(attempt.isProblem("not-found"))
                }
                #expect(try await stock(database) == 8)
            }
        }
    }

    @Test func adminMovesAnOrderThroughItsLifeAndNoFurther() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let order = try await placeOrder(shopper)
                let path = "/v1/admin/orders/\(order.id)/status"
                #expect(try await shopper.admin(.post, path, body: #"{"status": "shipped"}"#).isProblem("illegal-transition"))
                for status in ["paid", "shipped", "delivered"] {
                    let response = try await shopper.admin(.post, path, body: #"{"status": "\#(status)"}"#)
                    #expect(try response.json()["status"] as? String == status)
                }
                #expect(try await shopper.admin(.post, path, body: #"{"status": "cancelled"}"#).isProblem("illegal-transition"))
                #expect(try await shopper.cancel(order.id, token: order.token).isProblem("illegal-transition"))
                #expect(try await shopper.admin(.post, path, body: #"{"status": "placed"}"#).isProblem("invalid-request"))
                #expect(try await shopper.admin(.post, path, body: #"{"status": "lost"}"#).isProblem("invalid-request"))
                #expect(try await stock(database) == 8)
            }
        }
    }

    @Test func adminListsOrdersByStatusPageByPage() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                var placed: [String] = []
                for _ in 0..<5 { placed.append(try await placeOrder(shopper).id) }
                #expect(try await shopper.admin(.post, "/v1/admin/orders/\(placed[0])/status", body: #"{"status": "paid"}"#).status == .ok)

                var seen: [String] = []
                var cursor: String?
                repeat {
                    let page = try await shopper.admin(.get, "/v1/admin/orders?status=placed&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")).json()
                    seen += try page.value("items", as: [[String: Any]].self).map { try $0.value("id", as: String.self) }
                    cursor = page["next_cursor"] as? String
                } while cursor != nil
                #expect(seen == Array(placed.dropFirst().reversed()))
                let paid = try await shopper.admin(.get, "/v1/admin/orders?status=paid").json().value("items", as: [[String: Any]].self)
                #expect(try paid.map { try $0.value("id", as: String.self) } == [placed[0]])
                #expect(try await shopper.admin(.get, "/v1/admin/orders?status=lost").isProblem("invalid-request"))
                #expect(try await shopper.admin(.get, "/v1/admin/orders?status=paid&cursor=\(UUID())").isProblem("invalid-request"))
            }
        }
    }

    @Test func adminSetsTheRegionsStock() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let set = try await shopper.admin(.put, "/v1/admin/stock/\(sku)", body: #"{"available": 42}"#)
                #expect(try set.json()["available"] as? Int == 42)
                #expect(try await stock(database) == 42)
                #expect(try await shopper.admin(.put, "/v1/admin/stock/NOPE-1", body: #"{"available": 1}"#).isProblem("unknown-sku"))
                #expect(try await shopper.admin(.put, "/v1/admin/stock/\(sku)", body: #"{"available": -1}"#).isProblem("invalid-request"))
                #expect(try await stock(database) == 42)
            }
        }
    }
}
