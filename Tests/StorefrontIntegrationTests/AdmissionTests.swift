import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import StorefrontCore
import StorefrontHTTP
import StorefrontTestSupport
import Testing

/// Admission control in a region: a full class sheds with a fast 503 while the others go on (the gate itself:
/// `AdmissionGateTests`).
@Suite struct AdmissionTests {
    /// Checkouts stuck on a locked stock row fill the checkout class; the next ones wait their bound and are
    /// shed with `Retry-After`, while probes, product pages and listings go on, and the checkout flow stays
    /// ready: saturation is not failure.
    @Test func aFullClassShedsFastWhileProbesAndOtherClassesGoOn() async throws {
        let sku = CatalogOracle().products[20].variants[0].sku
        let product = CatalogOracle().products[20].id.uuidString.lowercased()
        try await TestDatabase.withDatabase { database async throws in
            let environment = ["STOREFRONT_DB_MAX_CONNECTIONS": "8", "STOREFRONT_ADMISSION_WAIT_MS": "300"]
            try await withTestApp(database, environment: environment) { client in
                let shopper = Shopper(client: client)
                try await shopper.setStock(sku, 100)
                var opened: [Shopper.OpenedCart] = []
                for _ in 0..<8 {
                    let cart = try await shopper.openCart()
                    try await shopper.set(sku, quantity: 1, in: cart)
                    opened.append(cart)
                }
                let carts = opened
                let shed = try await database.asOwner { owner async throws in
                    try await owner.withTransaction(logger: TestDatabase.logger) { locker in
                        _ = try await locker.query("SELECT 1 FROM stock WHERE sku = \(sku) FOR UPDATE", logger: TestDatabase.logger).collect()
                        // The checkout class holds two (a quarter of the pool): both wait on the lock.
                        let stuck = [carts[0], carts[1]].map { cart in Task { try await shopper.checkout(cart) } }
                        try await waitUntil("two checkouts wait on the stock row") {
                            // Each waiter has one lock not granted (pg_locks, unlike other roles' activity, is readable).
                            try await owner.scalar("SELECT count(*) FROM pg_locks WHERE NOT granted", as: Int.self) == 2
                        }
                        var shed: [TestResponse] = []
                        for cart in carts[2...] { shed.append(try await shopper.checkout(cart)) }
                        let ready = try await client.get("/health/ready").status
                        let checkoutReady = try await client.get("/health/ready/checkout").status
                        let why = ready == .ok && checkoutReady == .ok ? "" : String(buffer: try await client.get("/health").body)
                        #expect(ready == .ok, "the region's health: \(why)")
                        #expect(checkoutReady == .ok, "the region's health: \(why)")
                        #expect(try await client.get("/v1/products/\(product)").status == .ok)
                        #expect(try await client.get("/v1/products?limit=5").status == .ok)
                        return (shed, stuck)
                    }
                }
                for response in shed.0 {
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.isProblem("overloaded"))
                    #expect(response.headers[.retryAfter] == "1")
                    #expect(response.headers[HTTPField.Name("Storefront-Shed")!] == "checkout")
                }
                for task in shed.1 { #expect(try await task.value.status == .created) }
                let metrics = String(buffer: try await client.get("/metrics").body)
                #expect(metrics.contains(#"storefront_shed_requests_total{class="checkout"} 6"#))
                let afterwards = try await client.get("/health/ready/checkout").status
                let why = afterwards == .ok ? "" : String(buffer: try await client.get("/health").body)
                #expect(afterwards == .ok, "the region's health: \(why)")
            }
        }
    }
}
