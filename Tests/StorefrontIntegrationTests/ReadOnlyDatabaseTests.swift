import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Synchronization
import Testing

/// While a region's primary fails over, its database address reaches the standby (scripts/lib/ha.sh's
/// router), which refuses every write as read-only (SQLSTATE 25006). A database whose sessions are made
/// read-only gives the same refusal from one server: reads are served, writes are refused to retry, not
/// failed, and the health model names the failover.
@Suite struct ReadOnlyDatabaseTests {
    let sku = CatalogGenerator().product(3).variants[0].sku

    @Test func aStandbyServesReadsRefusesWritesToRetryAndIsNamedAsAPrimaryFailover() async throws {
        let sku = sku
        try await TestDatabase.withDatabase { database in
            try await withTestApp(database, environment: ["STOREFRONT_PROBE_INTERVAL_MS": "500"]) { client in
                try await waitUntilReady(client)
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                #expect(try await shopper.set(sku, quantity: 1, in: cart).status == .ok)

                try await Self.setReadOnly(true, database)
                // Ending the sessions fails the probes' own with 57P01 (administrator shutdown), a certain failure
                // of reads and writes alike, for a round: the failover is named once the probes reconnect.
                let lastSeen = Mutex("")
                do {
                    try await waitUntil("checkout leaves rotation, named as a primary failover", timeout: .seconds(10)) {
                        let nodes = try await client.get("/health").json()["nodes"] as? [[String: Any]] ?? []
                        let write = nodes.first { $0["id"] as? String == "signal:database.write_latency" }
                        lastSeen.withLock { $0 = "\(write ?? [:])" }
                        return try await client.get("/health/ready/checkout").status == .serviceUnavailable
                            && (write?["reason"] as? String)?.contains("primary failover") == true
                    }
                } catch {
                    Issue.record("\(error); the write signal as last seen: \(lastSeen.withLock { $0 })")
                    return
                }
                // Reads still work: the flows that only read are ready, once the round that saw their sessions
                // ended has passed.
                for flow in ["browse", "order_history"] {
                    let reasons = Mutex<[String]>([])
                    do {
                        try await waitUntil("\(flow) is ready on the standby", timeout: .seconds(10)) {
                            let response = try await client.get("/health/ready/\(flow)")
                            reasons.withLock { $0 = (try? response.json())?["reasons"] as? [String] ?? [] }
                            return response.status == .ok
                        }
                    } catch {
                        Issue.record("\(error); why not, as last seen: \(reasons.withLock { $0 })")
                    }
                }
                #expect(try await client.get("/v1/products?limit=5").status == .ok)

                let key = UUID().uuidString
                for response in [try await shopper.checkout(cart, key: key), try await shopper.set(sku, quantity: 2, in: cart)] {
                    #expect(response.status == .serviceUnavailable, "\(String(buffer: response.body))")
                    #expect(response.headers[.retryAfter] != nil)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
                let orders = try await database.asOwner { try await $0.scalar("SELECT count(*) FROM orders", as: Int.self) }
                #expect(orders == 0, "nothing half-written")

                // Promoted: the same checkout, retried with its key, is taken.
                try await Self.setReadOnly(false, database)
                try await waitUntil("checkout is back", timeout: .seconds(10)) {
                    try await client.get("/health/ready/checkout").status == .ok
                }
                #expect(try await shopper.checkout(cart, key: key).status == .created)
            }
        }
    }

    /// New sessions read-only (or not), and the serving role's sessions ended, so that every connection the
    /// app opens again is as a standby's (or a primary's) would be.
    static func setReadOnly(_ readOnly: Bool, _ database: TestDatabase) async throws {
        let name = database.appURL.database
        let admin = try TestCluster.named("us-east").adminURL(database: "postgres")
        try await PostgresClient.withRunning(admin, logger: TestDatabase.logger, maximumConnections: 1) { client in
            try await client.run("ALTER DATABASE \(unescaped: name) SET default_transaction_read_only = \(unescaped: readOnly ? "on" : "off")")
            try await client.run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name) AND usename = 'storefront'")
        }
    }
}
