import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// A flow whose requests block does not look idle: the age of its oldest running request is its latency, so the
/// health model names it while the requests wait, before any of them has ended.
@Suite struct BlockedFlowTests {
    func node(_ id: String, in document: [String: Any]) -> [String: Any]? {
        (document["nodes"] as? [[String: Any]])?.first { $0["id"] as? String == id }
    }

    @Test func checkoutsWaitingOnALockedStockRowAreNamedWhileTheyWait() async throws {
        let sku = CatalogOracle().products[0].variants[0].sku
        let environment = [
            // The default interval: its 800 ms deadline holds on cores loaded by the whole suite.
            "STOREFRONT_PROBE_INTERVAL_MS": "1000",
            // Four waiting checkouts are enough to judge the flow by; nothing else may end the wait but the test.
            "STOREFRONT_HEALTH_THRESHOLDS": "min_requests=4",
            "STOREFRONT_DB_LOCK_TIMEOUT_MS": "60000", "STOREFRONT_DB_STATEMENT_TIMEOUT_MS": "60000",
            "STOREFRONT_REQUEST_TIMEOUT_MS": "60000",
        ]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: environment) { client in
                let shopper = Shopper(client: client)
                var carts: [Shopper.OpenedCart] = []
                for _ in 0..<4 {
                    let cart = try await shopper.openCart()
                    try #require(try await shopper.set(sku, quantity: 1, in: cart).status == .ok)
                    carts.append(cart)
                }
                let waiting = carts
                try await waitUntilReady(client)
                try await database.asOwner { owner async throws in
                    try await owner.withConnection { connection in
                        _ = try await connection.query("BEGIN", logger: TestDatabase.logger)
                        _ = try await connection.query("SELECT sku FROM stock WHERE sku = \(sku) FOR UPDATE", logger: TestDatabase.logger)
                        async let answers = shopper.checkoutAll(waiting)
                        let seen: Result<[String: Any], any Error>
                        do {
                            let detection = try await timeUntil("the checkout's latency shows its waiting requests", timeout: .seconds(20)) {
                                let signal = node("signal:api.checkout.p99_latency", in: try await client.get("/health").json())
                                return signal?["status"] as? String != "healthy"
                                    && (signal?["reason"] as? String)?.contains("4 still running") == true
                            }
                            print("checkouts blocked on a lock showed in the flow's latency after \(detection)")
                            // Still blocked, so still showing: read again for the whole picture.
                            seen = .success(try await client.get("/health").json())
                        } catch {
                            let signal = node("signal:api.checkout.p99_latency", in: try await client.get("/health").json())
                            seen = .failure(TestSetupError("\(error); the checkout's latency: \(signal ?? [:])"))
                        }
                        // The lock goes whatever was seen, so the checkouts can end and the test with them.
                        _ = try await connection.query("ROLLBACK", logger: TestDatabase.logger)
                        let statuses = try await answers.map(\.status)
                        let document = try seen.get()
                        // The waiting checkouts are the root, unless load on the test's cores has slowed the database's
                        // own probes meanwhile: then the flows' outcomes are put down to the database.
                        let roots = node("region", in: document)?["root_signals"] as? [String] ?? []
                        #expect(roots == ["api.checkout.p99_latency"] || roots.contains { $0.hasPrefix("database.") }, "\(roots)")
                        #expect(!roots.contains { $0.hasPrefix("api.") && $0 != "api.checkout.p99_latency" }, "\(roots)")
                        // Browse and cart do not wait on stock: whatever their state on loaded cores, it is not the
                        // checkouts'.
                        for flow in ["browse", "cart"] {
                            let roots = node("flow:\(flow)", in: document)?["root_signals"] as? [String] ?? []
                            #expect(!roots.contains { $0.hasPrefix("api.checkout.") }, "\(flow): \(roots)")
                        }
                        #expect(statuses.allSatisfy { $0 == .created }, "once the lock is gone every checkout goes through: \(statuses)")
                    }
                }
            }
        }
    }
}
