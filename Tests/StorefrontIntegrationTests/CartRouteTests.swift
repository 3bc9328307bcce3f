import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

@Suite struct CartRouteTests {
    let skus = CatalogOracle().products.prefix(30).map { $0.variants[0].sku }

    @Test func aCartIsOpenedFilledChangedAndEmptied() async throws {
        let skus = skus
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let opened = try await client.execute(uri: "/v1/carts", method: .post, headers: [:], body: nil)
                #expect(opened.status == .created)
                #expect(opened.headers[.eTag] == "\"1\"")
                let body = try opened.json()
                let cart = Shopper.OpenedCart(id: try body.value("id", as: String.self), token: try body.value("token", as: String.self))
                #expect(opened.headers[.location] == "/v1/carts/\(cart.id)")
                #expect(cart.token.count >= 43)
                #expect((try body.value("items", as: [Any].self)).isEmpty)

                let added = try await shopper.set(skus[0], quantity: 2, in: cart)
                #expect(added.status == .ok)
                #expect(added.headers[.eTag] == "\"2\"")
                let line = try #require((try added.json().value("items", as: [[String: Any]].self)).first)
                #expect(line["sku"] as? String == skus[0])
                #expect(line["quantity"] as? Int == 2)
                let unit = try line.value("unit_price", as: [String: Any].self).value("amount", as: Int.self)
                #expect((try line.value("line_total", as: [String: Any].self))["amount"] as? Int == unit * 2)
                #expect(line["available"] is Int)

                try await shopper.set(skus[1], quantity: 1, in: cart)
                let changed = try await shopper.set(skus[0], quantity: 5, in: cart).json()
                #expect(changed["item_count"] as? Int == 6)
                #expect(changed["version"] as? Int == 4)

                let removed = try await client.execute(
                    uri: "/v1/carts/\(cart.id)/items/\(skus[0])",
                    method: .delete,
                    headers: [.cartToken: cart.token],
                    body: nil
                )
                #expect(removed.status == .ok)
                #expect(try removed.json().value("items", as: [[String: Any]].self).map { try $0.value("sku", as: String.self) } == [skus[1]])
                let emptied = try await shopper.set(skus[1], quantity: 0, in: cart).json()
                #expect((try emptied.value("items", as: [Any].self)).isEmpty)
                #expect(try await shopper.cart(cart).json()["version"] as? Int == 6)
            }
        }
    }

    @Test func aCartIsInvisibleWithoutItsOwnToken() async throws {
        let sku = skus[0]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let mine = try await shopper.openCart()
                let theirs = try await shopper.openCart()
                try await shopper.set(sku, quantity: 1, in: mine)
                let missing = try await client.get("/v1/carts/\(UUID().uuidString)", headers: [.cartToken: mine.token])
                #expect(missing.status == .notFound)
                let attempts: [TestResponse] = [
                    try await client.get("/v1/carts/\(mine.id)"),
                    try await client.get("/v1/carts/\(mine.id)", headers: [.cartToken: theirs.token]),
                    try await client.get("/v1/carts/\(mine.id)", headers: [.cartToken: "forged-token"]),
                    try await client.get("/v1/carts/not-a-uuid", headers: [.cartToken: mine.token]),
                    try await shopper.set(sku, quantity: 3, in: Shopper.OpenedCart(id: mine.id, token: theirs.token)),
                ]
                for attempt in attempts {
                    #expect(attempt.status == .notFound)
                    // The same answer but for the trace it names, which is each request's own.
                    var answer = try attempt.json()
                    var expected = try missing.json()
                    #expect(answer.removeValue(forKey: "trace_id") != nil && expected.removeValue(forKey: "trace_id") != nil)
                    #expect(NSDictionary(dictionary: answer) == NSDictionary(dictionary: expected))
                }
                #expect(try await shopper.cart(mine).json()["version"] as? Int == 2)
            }
        }
    }

    @Test func badChangesGetTheProblemTheyDeserve() async throws {
        let skus = skus
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                #expect(try await shopper.set(skus[0], quantity: 11, in: cart).isProblem("invalid-request"))
                #expect(try await shopper.set(skus[0], quantity: -1, in: cart).isProblem("invalid-request"))
                #expect(try await shopper.set("NO-SUCH-SKU", quantity: 1, in: cart).status.code == 422)
                let text = try await client.execute(
                    uri: "/v1/carts/\(cart.id)/items/\(skus[0])",
                    method: .put,
                    headers: [.cartToken: cart.token, .contentType: "text/plain"],
                    body: ByteBuffer(string: "quantity=1")
                )
                #expect(text.status.code == 415)
                let broken = try await client.execute(
                    uri: "/v1/carts/\(cart.id)/items/\(skus[0])",
                    method: .put,
                    headers: [.cartToken: cart.token, .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"quantity": "two"}"#)
                )
                #expect(broken.isProblem("invalid-request"))
                #expect((try broken.json()["errors"] as? [[String: Any]])?.first?["field"] as? String == "quantity")
                let huge = try await client.execute(
                    uri: "/v1/carts/\(cart.id)/items/\(skus[0])",
                    method: .put,
                    headers: [.cartToken: cart.token, .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"quantity": 1, "padding": ""# + String(repeating: "x", count: 100_000) + "\"}")
                )
                #expect(huge.status.code == 413)
                // Nothing above changed the cart.
                #expect(try await shopper.cart(cart).json()["version"] as? Int == 1)
            }
        }
    }

    @Test func aStaleVersionIsRefusedWithTheCurrentOne() async throws {
        let sku = skus[0]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                #expect(try await shopper.set(sku, quantity: 1, in: cart, ifMatch: "\"1\"").status == .ok)
                let stale = try await shopper.set(sku, quantity: 2, in: cart, ifMatch: "\"1\"")
                #expect(stale.status.code == 412)
                #expect(try stale.json()["current_version"] as? Int == 2)
                #expect(try await shopper.set(sku, quantity: 2, in: cart, ifMatch: "W/\"2\"").status == .ok)
                #expect(try await shopper.set(sku, quantity: 2, in: cart, ifMatch: "soon").status.code == 400)
            }
        }
    }

    @Test func concurrentChangesToDifferentLinesAreAllKept() async throws {
        let skus = Array(skus.prefix(20))
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for sku in skus { group.addTask { try await shopper.set(sku, quantity: 1, in: cart).status.code } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == 200 })
                let body = try await shopper.cart(cart).json()
                #expect(try Set(body.value("items", as: [[String: Any]].self).map { try $0.value("sku", as: String.self) }) == Set(skus))
                #expect(body["version"] as? Int == skus.count + 1)
            }
        }
    }

    @Test func aCartHoldsAtMostFiftyLines() async throws {
        let skus = CatalogOracle().products.flatMap { $0.variants.map(\.sku) }.prefix(51)
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                for sku in skus.prefix(50) { #expect(try await shopper.set(sku, quantity: 1, in: cart).status == .ok) }
                let full = try await shopper.set(skus.last!, quantity: 1, in: cart)
                #expect(full.isProblem("cart-full"))
                #expect((try await shopper.cart(cart).json().value("items", as: [Any].self)).count == 50)
            }
        }
    }

    @Test func anExpiredCartTakesNoChanges() async throws {
        let sku = skus[0]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                try await database.asOwner { owner async throws in
                    try await owner.run("UPDATE carts SET expires_at = now() - interval '1 second' WHERE id = \(UUID(uuidString: cart.id)!)")
                }
                #expect(try await shopper.set(sku, quantity: 1, in: cart).isProblem("cart-expired"))
                #expect(try await shopper.checkout(cart).isProblem("cart-expired"))
            }
        }
    }
}

@Suite struct BusyDatabaseTests {
    @Test func aLockHeldTooLongIsA503WithRetryAfterAndChangesNothing() async throws {
        let sku = CatalogOracle().products[0].variants[0].sku
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: ["STOREFRONT_DB_LOCK_TIMEOUT_MS": "300"]) { client in
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                try await database.asOwner { owner async throws in
                    // Another transaction holds the cart row past the region's lock timeout.
                    try await owner.withTransaction(logger: TestDatabase.logger) { connection in
                        let locked = try await connection.rows(
                            "SELECT 1 FROM carts WHERE id = \(UUID(uuidString: cart.id)!) FOR UPDATE",
                            logger: TestDatabase.logger
                        )
                        #expect(locked.count == 1)
                        let busy = try await shopper.set(sku, quantity: 1, in: cart)
                        #expect(busy.status == .serviceUnavailable)
                        #expect(busy.isProblem("unavailable"))
                        #expect(busy.headers[.retryAfter] == "1")
                    }
                }
                let after = try await shopper.cart(cart).json()
                #expect(after["version"] as? Int == 1)
                #expect(try await shopper.set(sku, quantity: 1, in: cart).status == .ok)
            }
        }
    }
}
