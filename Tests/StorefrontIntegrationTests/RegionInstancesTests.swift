import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// Several instances of one region on one database, as a region runs on launch day: what belongs to the
/// region (its drain, its singleton jobs, the database probes) is the region's, whichever instance is asked.
@Suite struct RegionInstancesTests {
    static let admin: HTTPFields = [.authorization: "Bearer \(Shopper.adminToken)", .contentType: "application/json"]

    @Test func aDrainSentToOneInstanceTakesEveryInstanceOutAndAnUndrainAnywhereBringsThemBack() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { first in
                try await withTestApp(database) { second in
                    let drained = try await first.execute(
                        uri: "/v1/admin/drain",
                        method: .post,
                        headers: Self.admin,
                        body: ByteBuffer(string: #"{"reason": "database upgrade", "requested_by": "alice"}"#)
                    )
                    #expect(drained.status == .ok)
                    #expect(try await first.get("/health/ready").status == .serviceUnavailable, "the instance asked is out at once")
                    try await waitUntil("the other instance is drained too") {
                        let ready = try await second.get("/health/ready")
                        return ready.status == .serviceUnavailable && String(buffer: ready.body).contains("draining: database upgrade")
                    }
                    let state = try await second.get("/v1/admin/drain", headers: Self.admin).json()
                    #expect(state["draining"] as? Bool == true)
                    #expect(state["requested_by"] as? String == "alice")

                    let lifted = try await second.execute(
                        uri: "/v1/admin/undrain",
                        method: .post,
                        headers: Self.admin,
                        body: ByteBuffer(string: "{}")
                    )
                    #expect(lifted.status == .ok)
                    try await waitUntil("the first instance is back in rotation") { try await first.get("/health/ready").status == .ok }
                    #expect(try await second.get("/health/ready").status == .ok)
                }
            }
            // The drain is the region's, kept in its database: an instance that starts later honours it too.
            try await database.asOwner { owner in
                try await owner.run(
                    "UPDATE region_drains SET version = version + 1, reason = 'kept', requested_by = 'bob', since = now() WHERE region = 'us-east'"
                )
            }
            try await withTestApp(database, readiness: false) { late in
                try await waitUntil("an instance started during a drain stays out") {
                    String(buffer: try await late.get("/health/ready").body).contains("draining: kept")
                }
            }
        }
    }

    /// The first instance holds the probes' lease and announces its rounds; the second uses them instead of
    /// probing; when the first stops, the second probes for itself.
    @Test func oneInstanceProbesTheDatabaseForTheRegionAndAnotherTakesOverWhenItStops() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let (ready, firstIsReady) = AsyncStream<Void>.makeStream()
            let (stop, stopFirst) = AsyncStream<Void>.makeStream()
            let first = Task {
                try await withTestApp(database) { _ in
                    firstIsReady.yield()
                    for await _ in stop { break }
                }
            }
            for await _ in ready { break }
            do {
                try await withTestApp(database) { second in
                    let start = try await Self.databaseRounds(second)
                    let used = try await firstValue("the second instance uses ten of the first's rounds") {
                        let now = try await Self.databaseRounds(second)
                        return now.heard >= start.heard + 10 ? now : nil
                    }
                    // One stall of the first instance's prober past three intervals makes the second probe once.
                    #expect(used.own - start.own <= 1, "the second probed \(used.own - start.own) times beside \(used.heard - start.heard) heard")

                    stopFirst.yield()
                    try await first.value
                    let stopped = try await Self.databaseRounds(second)
                    try await waitUntil("the second instance probes for itself") { try await Self.databaseRounds(second).own >= stopped.own + 5 }
                    let health = try await second.get("/health/ready")
                    #expect(health.status == .ok, "\(String(buffer: health.body))")
                }
            } catch {
                stopFirst.yield()
                _ = try? await first.value
                throw error
            }
        }
    }

    /// Two instances purge one region's abandoned carts: every cart goes once, counted once, by the one
    /// instance holding the purge's lease.
    @Test func twoInstancesPurgeEachAbandonedCartOnce() async throws {
        let carts = (0..<120).map { _ in UUID() }
        try await TestDatabase.withDatabase { database async throws in
            try await database.asOwner { owner in
                let digest = ByteBuffer(bytes: [UInt8](repeating: 7, count: 32))
                for cart in carts {
                    try await owner.run(
                        "INSERT INTO carts (region, id, token_digest, status, expires_at) VALUES ('us-east', \(cart), \(digest), 'open', now() - interval '8 days')"
                    )
                }
            }
            let fast = ["STOREFRONT_PURGE_INTERVAL_S": "1"]
            try await withTestApp(database, environment: fast) { first in
                try await withTestApp(database, environment: fast) { second in
                    try await waitUntil("every abandoned cart is purged") {
                        try await database.asOwner { owner in
                            try await owner.scalar("SELECT count(*) FROM carts WHERE region = 'us-east'", as: Int.self)
                        } == 0
                    }
                    // Rounds after the last delete find nothing: the counts are final.
                    try await Task.sleep(for: .seconds(2))
                    let purged = [try await Self.purgedCarts(first), try await Self.purgedCarts(second)]
                    #expect(purged.reduce(0, +) == carts.count, "\(purged)")
                    #expect(purged.filter { $0 > 0 }.count == 1, "one instance purged: \(purged)")
                }
            }
        }
    }

    /// Two orders of one checkout in one region (the second made a twin of the first, as an adoption makes
    /// one), and two instances reconciling every 50 ms: the twin is cancelled once and its stock comes back
    /// once.
    @Test func twoInstancesSupersedeATwinOrderOnceAndRestockOnce() async throws {
        let sku = CatalogOracle().products[7].variants[1].sku
        try await TestDatabase.withDatabase { database async throws in
            let fast = ["STOREFRONT_RECONCILE_INTERVAL_MS": "50"]
            try await withTestApp(database, environment: fast) { first in
                try await withTestApp(database, environment: fast) { second in
                    let shopper = Shopper(client: first)
                    try await shopper.setStock(sku, 100)
                    var orders: [(id: String, cart: String)] = []
                    for quantity in [2, 3] {
                        let cart = try await shopper.openCart()
                        try await shopper.set(sku, quantity: quantity, in: cart)
                        let placed = try await shopper.checkout(cart)
                        #expect(placed.status == .created)
                        orders.append((try #require(try placed.json()["id"] as? String), cart.id))
                    }
                    let (standing, twin) = (try #require(UUID(uuidString: orders[0].id)), try #require(UUID(uuidString: orders[1].id)))
                    let root = try #require(UUID(uuidString: orders[0].cart))
                    try await database.asOwner { owner in
                        try await owner.run("UPDATE orders SET cart_root = \(root) WHERE region = 'us-east' AND id IN (\(standing), \(twin))")
                    }
                    try await waitUntil("the twin order is superseded") {
                        try await database.asOwner { owner in
                            try await owner.scalar("SELECT count(*) FROM orders WHERE id = \(twin) AND superseded_by = \(standing)", as: Int.self)
                        } == 1
                    }
                    // Rounds after it find nothing: what was done is final.
                    try await Task.sleep(for: .seconds(1))
                    let (status, available) = try await database.asOwner { owner in
                        (
                            try await owner.scalar("SELECT status FROM orders WHERE id = \(twin)", as: String.self),
                            try await owner.scalar("SELECT available FROM stock WHERE region = 'us-east' AND sku = \(sku)", as: Int32.self)
                        )
                    }
                    #expect(status == "cancelled")
                    #expect(available == 98, "100, less the standing order's 2: the twin's 3 came back once")
                    let counted = [try await Self.reconciled(first), try await Self.reconciled(second)]
                    #expect(counted.reduce(0, +) == 1, "\(counted)")
                }
            }
        }
    }

    static func reconciled(_ client: any TestClientProtocol) async throws -> Int {
        let metrics = String(buffer: try await client.get("/metrics").body)
        return Int(labelledMetricValue(metrics, #"storefront_reconciled_orders_total{outcome="cancelled"}"#) ?? 0)
    }

    static func databaseRounds(_ client: any TestClientProtocol) async throws -> (own: Double, heard: Double) {
        let metrics = String(buffer: try await client.get("/metrics").body)
        return (
            labelledMetricValue(metrics, #"storefront_health_database_rounds_total{by="this_instance"}"#) ?? 0,
            labelledMetricValue(metrics, #"storefront_health_database_rounds_total{by="another_instance"}"#) ?? 0
        )
    }

    static func purgedCarts(_ client: any TestClientProtocol) async throws -> Int {
        let metrics = String(buffer: try await client.get("/metrics").body)
        return Int(labelledMetricValue(metrics, #"storefront_purge_rows_total{table="carts"}"#) ?? 0)
    }
}

/// The value of a metric with its labels, exactly as the exposition writes them.
func labelledMetricValue(_ exposition: String, _ series: String) -> Double? {
    exposition.split(separator: "\n").lazy
        .compactMap { line -> Double? in
            guard line.hasPrefix(series + " ") else { return nil }
            return Double(line.dropFirst(series.count + 1))
        }
        .first
}
