import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

@Suite struct CheckoutTests {
    let skus = CatalogOracle().products.prefix(10).map { $0.variants[1].sku }

    func stock(_ sku: String, _ database: TestDatabase) async throws -> Int {
        try await database.asOwner { owner async throws in
            try await owner.scalar("SELECT available FROM stock WHERE region = 'us-east' AND sku = \(sku)", as: Int.self)
        }
    }

    func count(_ sql: PostgresQuery, _ database: TestDatabase) async throws -> Int {
        try await database.asOwner { owner async throws in try await owner.scalar(sql, as: Int.self) }
    }

    @Test func aShopperChecksOutAndReadsTheOrder() async throws {
        let sku = skus[0]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                try await shopper.setStock(sku, 5)
                let cart = try await shopper.openCart()
                try await shopper.set(sku, quantity: 2, in: cart)
                let placed = try await shopper.checkout(cart)
                #expect(placed.status == .created)
                let order = try placed.json()
                #expect(order["status"] as? String == "placed")
                #expect(order["cart_id"] as? String == cart.id)
                #expect((order["shipping_address"] as? [String: Any])?["postal_code"] as? String == "SW1Y 4JH")
                let line = try #require((order["lines"] as? [[String: Any]])?.first)
                #expect(line["quantity"] as? Int == 2)
                let unit = try line.value("unit_price", as: [String: Any].self).value("amount", as: Int.self)
                #expect((try order.value("subtotal", as: [String: Any].self))["amount"] as? Int == unit * 2)
                let token = try #require(order["order_token"] as? String)
                #expect(try await stock(sku, database) == 3)

                let read = try await shopper.order(try order.value("id", as: String.self), token: token)
                #expect(read.status == .ok)
                #expect(try read.json()["order_token"] == nil)
                #expect(try await shopper.cart(cart).json()["status"] as? String == "checked_out")
                #expect(try await shopper.set(sku, quantity: 1, in: cart).isProblem("cart-closed"))
            }
        }
    }

    @Test func twoHundredShoppersRaceForFiftyPairs() async throws {
        let sku = skus[1]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: ["STOREFRONT_DB_MAX_CONNECTIONS": "20"]) { client in
                let shopper = Shopper(client: client)
                try await shopper.setStock(sku, 50)
                var carts: [Shopper.OpenedCart] = []
                for _ in 0..<200 {
                    let cart = try await shopper.openCart()
                    try await shopper.set(sku, quantity: 1, in: cart)
                    carts.append(cart)
                }
                let responses = try await shopper.checkoutAll(carts)
                #expect(responses.filter { $0.status == .created }.count == 50)
                let refused = responses.filter { $0.status == .conflict }
                #expect(refused.count == 150, "\(Dictionary(grouping: responses, by: { $0.status.code }).mapValues(\.count))")
                #expect(refused.allSatisfy { $0.isProblem("out-of-stock") })
                #expect(responses.allSatisfy { $0.status.code < 500 })
                #expect(try await stock(sku, database) == 0)
                #expect(try await count("SELECT count(*) FROM order_lines WHERE sku = \(sku)", database) == 50)
            }
        }
    }

    /// Carts of two SKUs racing: the scarcer one decides, nothing is oversold, and no checkout waits on
    /// another in a cycle (each locks its stock rows in SKU order).
    @Test func fortyShoppersRaceForTwoSKUsAtOnce() async throws {
        let (first, second) = (skus[4], skus[5])
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: ["STOREFRONT_DB_MAX_CONNECTIONS": "20"]) { client in
                let shopper = Shopper(client: client)
                try await shopper.setStock(first, 16)
                try await shopper.setStock(second, 10)
                var carts: [Shopper.OpenedCart] = []
                for index in 0..<40 {
                    let cart = try await shopper.openCart()
                    // Added in both orders: the lock order must not depend on the cart's.
                    for sku in index.isMultiple(of: 2) ? [first, second] : [second, first] {
                        try await shopper.set(sku, quantity: 1, in: cart)
                    }
                    carts.append(cart)
                }
                let responses = try await shopper.checkoutAll(carts)
                #expect(responses.filter { $0.status == .created }.count == 10)
                #expect(responses.filter { $0.isProblem("out-of-stock") }.count == 30)
                #expect(responses.allSatisfy { $0.status.code < 500 })
                #expect(try await stock(first, database) == 6)
                #expect(try await stock(second, database) == 0)
            }
        }
    }

    @Test func aShortLineTakesNothingFromAnyLine() async throws {
        let (plenty, scarce) = (skus[2], skus[3])
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                try await shopper.setStock(plenty, 5)
                try await shopper.setStock(scarce, 1)
                let cart = try await shopper.openCart()
                try await shopper.set(plenty, quantity: 1, in: cart)
                try await shopper.set(scarce, quantity: 2, in: cart)
                let refused = try await shopper.checkout(cart)
                #expect(refused.isProblem("out-of-stock"))
                let shortages = try #require(try refused.json()["shortages"] as? [[String: Any]])
                #expect(shortages.count == 1)
                #expect(shortages.first?["sku"] as? String == scarce)
                #expect(shortages.first?["requested"] as? Int == 2)
                #expect(shortages.first?["available"] as? Int == 1)
                #expect(try await stock(plenty, database) == 5)
                #expect(try await stock(scarce, database) == 1)
                #expect(try await shopper.cart(cart).json()["status"] as? String == "open")
                #expect(try await count("SELECT count(*) FROM orders", database) == 0)

                // Fixing the cart and checking out with a new key works.
                try await shopper.set(scarce, quantity: 1, in: cart)
                #expect(try await shopper.checkout(cart).status == .created)
                #expect(try await stock(scarce, database) == 0)
            }
        }
    }

    @Test func fiftyRetriesOfOneCheckoutMakeOneOrder() async throws {
        let sku = skus[4]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                try await shopper.setStock(sku, 10)
                let cart = try await shopper.openCart()
                try await shopper.set(sku, quantity: 1, in: cart)
                let key = UUID().uuidString
                let responses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                    for _ in 0..<50 { group.addTask { try await shopper.checkout(cart, key: key) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let created = responses.filter { $0.status == .created }
                let waiting = responses.filter { $0.status == .conflict }
                #expect(!created.isEmpty)
                #expect(created.count + waiting.count == 50)
                #expect(Set(created.map { String(buffer: $0.body) }).count == 1)
                #expect(waiting.allSatisfy { $0.isProblem("idempotency-key-in-flight") && $0.headers[.retryAfter] == "1" })
                #expect(try await count("SELECT count(*) FROM orders", database) == 1)
                #expect(try await stock(sku, database) == 9)

                let replay = try await shopper.checkout(cart, key: key)
                #expect(replay.status == .created)
                #expect(replay.headers[.idempotentReplayed] == "true")
                #expect(String(buffer: replay.body) == String(buffer: created[0].body))

                let otherBody = try await shopper.checkout(cart, key: key, body: Shopper.checkoutBody(cart.id, email: "other@example.org"))
                #expect(otherBody.status.code == 422)
                #expect(otherBody.isProblem("idempotency-key-reused"))
                #expect(try await count("SELECT count(*) FROM orders", database) == 1)
            }
        }
    }

    @Test func aCartBecomesOneOrderWhateverTheKeys() async throws {
        let sku = skus[5]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                try await shopper.setStock(sku, 10)
                let cart = try await shopper.openCart()
                try await shopper.set(sku, quantity: 1, in: cart)
                async let first = shopper.checkout(cart)
                async let second = shopper.checkout(cart)
                let statuses = [try await first, try await second]
                #expect(statuses.filter { $0.status == .created }.count == 1)
                #expect(statuses.filter { $0.isProblem("cart-closed") }.count == 1)
                #expect(try await count("SELECT count(*) FROM orders", database) == 1)
                #expect(try await stock(sku, database) == 9)
            }
        }
    }

    @Test func aClientErrorIsTheKeysAnswerAndIsReplayed() async throws {
        let sku = skus[6]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                try await shopper.setStock(sku, 0)
                let cart = try await shopper.openCart()
                try await shopper.set(sku, quantity: 1, in: cart)
                let key = UUID().uuidString
                let first = try await shopper.checkout(cart, key: key)
                #expect(first.isProblem("out-of-stock"))
                try await shopper.setStock(sku, 3)
                let again = try await shopper.checkout(cart, key: key)
                #expect(again.isProblem("out-of-stock"))
                #expect(again.headers[.idempotentReplayed] == "true")
                #expect(again.headers[.contentType] == "application/problem+json")
                #expect(try await shopper.checkout(cart).status == .created)
            }
        }
    }

    /// A key recorded by the binary before this one holds an answer, not an outcome: a placed order's key
    /// replays the order as it is now, with its token; a refusal's key replays the stored problem byte for byte.
    @Test func aKeyAnEarlierBinaryRecordedReplaysItsAnswer() async throws {
        let sku = skus[8]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                try await shopper.setStock(sku, 5)
                let cart = try await shopper.openCart()
                try await shopper.set(sku, quantity: 1, in: cart)
                let placed = try await shopper.checkout(cart, key: "placed-before-the-upgrade")
                let id = try #require(try placed.json()["id"] as? String)
                let problem = #"{"status":409,"title":"Not enough stock","type":"https://storefront.example/problems/out-of-stock"}"#
                let fingerprint = try await database.asOwner { owner async throws in
                    try await owner.run(
                        """
                        UPDATE idempotency_keys SET order_id = NULL, response_status = 201,
                            response_body = convert_to(\(#"{"id":"\#(id)","order_token":""}"#), 'UTF8')
                        """
                    )
                    return try await owner.scalar("SELECT fingerprint FROM idempotency_keys", as: ByteBuffer.self)
                }
                try await database.asOwner { owner async throws in
                    try await owner.run(
                        """
                        INSERT INTO idempotency_keys (region, key, fingerprint, state, response_status, response_body)
                        VALUES ('us-east', 'refused-before-the-upgrade', \(fingerprint), 'done', 409, convert_to(\(problem), 'UTF8'))
                        """
                    )
                }
                let replay = try await shopper.checkout(cart, key: "placed-before-the-upgrade")
                #expect(replay.status == .created)
                #expect(replay.headers[.idempotentReplayed] == "true")
                #expect(String(buffer: replay.body) == String(buffer: placed.body))

                // The same request under another key: the stored refusal, as it was stored.
                let refused = try await shopper.checkout(cart, key: "refused-before-the-upgrade")
                #expect(refused.status == .conflict)
                #expect(refused.headers[.idempotentReplayed] == "true")
                #expect(refused.headers[.contentType] == "application/problem+json")
                #expect(String(buffer: refused.body) == problem)
                #expect(try await count("SELECT count(*) FROM orders", database) == 1)
            }
        }
    }

    @Test func checkoutInputIsValidatedBeforeAnythingHappens() async throws {
        let sku = skus[7]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                try await shopper.set(sku, quantity: 1, in: cart)
                let noKey = try await client.execute(
                    uri: "/v1/orders",
                    method: .post,
                    headers: [.cartToken: cart.token, .contentType: "application/json"],
                    body: ByteBuffer(string: Shopper.checkoutBody(cart.id))
                )
                #expect(noKey.isProblem("invalid-request"))
                let bad = try await shopper.checkout(
                    cart,
                    body:
                        #"{"cart_id": "\#(cart.id)", "email": "nope", "shipping_address": {"name": "", "line1": "x", "city": "y", "postal_code": "1", "country": "ZZ"}}"#
                )
                #expect(bad.isProblem("invalid-request"))
                let fields = try Set(bad.json().value("errors", as: [[String: Any]].self).map { try $0.value("field", as: String.self) })
                #expect(fields == ["email", "shipping_address.name", "shipping_address.country"])
                let missing = try await shopper.checkout(cart, body: #"{"email": "a@b.co"}"#)
                #expect(
                    try Set(missing.json().value("errors", as: [[String: Any]].self).map { try $0.value("field", as: String.self) }).contains(
                        "cart_id"
                    )
                )
                let empty = try await shopper.openCart()
                #expect(try await shopper.checkout(empty).isProblem("invalid-request"))
                let stranger = Shopper.OpenedCart(id: cart.id, token: empty.token)
                #expect(try await shopper.checkout(stranger).status == .notFound)
                #expect(try await count("SELECT count(*) FROM orders", database) == 0)
                #expect(try await shopper.cart(cart).json()["status"] as? String == "open")
            }
        }
    }
}
