import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// A region whose database is a Patroni pair (`HARegion`) loses its primary: the standby is promoted, the
/// region's address follows it, and logical replication to and from the peer carries on from where it
/// was, with nothing lost, nothing applied twice, and no resync. Part of the serialized replication suite:
/// it replicates with scripts/test's eu-west cluster, which the suite's other tests stop and crash.
extension ReplicationTests {
    @Test func aPromotedStandbyCarriesReplicationOnToAndFromItsPeer() async throws {
        let sku = sku
        try await HARegion.with(Self.east) { ha in
            try await ReplicatedRegions.withRegions(clusters: [ha.cluster, try TestCluster.named(Self.west.name)]) { regions in
                let primary = try #require(await ha.primary())
                let standby = 1 - primary
                // eu-west streams from this slot on us-east's primary: kept on the standby too.
                try await ha.keepOnFailover([try regions.topology(Self.west).slot(from: Self.east)], database: regions.database, standby: standby)
                let subscriptions = try await Self.subscriptions(regions)

                let (east, west) = try await withRegionApps(regions, only: [Self.east, Self.west]) { apps in
                    let shopper = Shopper(client: apps[Self.east]!)
                    let peer = Shopper(client: apps[Self.west]!)
                    try await shopper.setStock(sku, 1_000)
                    try await peer.setStock(sku, 1_000)
                    var acknowledged: [String] = []
                    for _ in 0..<10 { acknowledged.append(try await Self.placeOrderAndReturnID(shopper, sku: sku)) }
                    // Acknowledged right before the crash: a commit waits for the synchronous standby.
                    // Then the standby's link is cut: the peer's order is applied here and never reaches the
                    // standby, so eu-west must go on holding it, or the promoted standby would never be sent it.
                    let peerOrder = try await ha.withReplicationCutOff(to: standby) {
                        let id = try await Self.placeOrderAndReturnID(peer, sku: sku)
                        #expect(try await Self.whatHoldsThePeersOrder(regions) == "us-east's apply waits for its standby")
                        try await ha.crash(node: primary)
                        return id
                    }
                    let started = ContinuousClock.now
                    // Checkouts during the failover may be refused, never half-done; each is retried with its
                    // key until the promoted standby takes it.
                    var refused: [Int] = []
                    for _ in 0..<10 {
                        let (id, refusals) = try await Self.placeOrderRetrying(shopper, sku: sku)
                        acknowledged.append(id)
                        refused += refusals
                    }
                    print("failover: 10 checkouts after the crash taken within \(ContinuousClock.now - started); refused: \(refused)")
                    #expect(refused.allSatisfy { $0 == 503 }, "a refusal during the failover is 503, to retry: \(refused)")
                    // The promoted region's own subscription to its peer runs on the new primary.
                    var placed = [peerOrder]
                    for _ in 0..<5 { placed.append(try await Self.placeOrderAndReturnID(peer, sku: sku)) }
                    return (acknowledged, placed)
                }
                #expect(await ha.primary() == standby, "the standby was promoted")

                let converged = try await regions.waitForConvergence()
                print("failover: both regions converged \(converged) after us-east's primary was lost")
                for (region, ids) in [(Self.west, east), (Self.east, west)] {
                    let uuids = ids.compactMap(UUID.init(uuidString:))
                    #expect(try await regions.count("SELECT count(*) FROM orders WHERE id = ANY(\(uuids))", in: region) == ids.count)
                }
                #expect(try await Self.subscriptions(regions) == subscriptions, "the same subscriptions, never resynchronised")
                #expect(try await regions.replicationProblems() == [])
            }
        }
    }

    static func placeOrderAndReturnID(_ shopper: Shopper, sku: String) async throws -> String {
        let cart = try await shopper.openCart()
        try await shopper.set(sku, quantity: 1, in: cart)
        let response = try await shopper.checkout(cart)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try #require(try response.json()["id"] as? String)
    }

    /// One order, each step retried (the checkout with its one key) until the region takes it; the statuses
    /// refused on the way.
    static func placeOrderRetrying(_ shopper: Shopper, sku: String) async throws -> (id: String, refused: [Int]) {
        var refused: [Int] = []
        func retrying<Value: Sendable>(_ step: () async throws -> (Value?, Int)) async throws -> Value {
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let (value, status) = try await step()
                if let value { return value }
                refused.append(status)
                try await Task.sleep(for: .milliseconds(200))
            }
            throw TestSetupError("the region took nothing for 60 s after its primary was lost; refused: \(refused.suffix(20))")
        }
        let cart: Shopper.OpenedCart = try await retrying { () -> (Shopper.OpenedCart?, Int) in
            let response = try await shopper.client.execute(uri: "/v1/carts", method: .post, headers: [:], body: nil)
            guard response.status == .created, let body = try? response.json(), let id = body["id"] as? String,
                let token = body["token"] as? String
            else { return (nil, response.status.code) }
            return (Shopper.OpenedCart(id: id, token: token), 201)
        }
        let _: Bool = try await retrying { () -> (Bool?, Int) in
            let status = try await shopper.set(sku, quantity: 1, in: cart).status.code
            return (status == 200 ? true : nil, status)
        }
        let key = UUID().uuidString
        let id: String = try await retrying { () -> (String?, Int) in
            let response = try await shopper.checkout(cart, key: key)
            return (response.status == .created ? try response.json()["id"] as? String : nil, response.status.code)
        }
        return (id, refused)
    }

    /// Whether eu-west's slot for us-east moved past the order eu-west just took (us-east reported it flushed)
    /// or us-east's apply worker waits for its synchronous standby: the first that happens.
    static func whatHoldsThePeersOrder(_ regions: ReplicatedRegions) async throws -> String {
        let slot = try regions.topology(Self.east).slot(from: Self.west)
        let written = try #require(
            try await regions.asAdmin(Self.west) { client in try await client.rows("SELECT pg_current_wal_lsn()::text").first?.decode(String.self) }
        )
        return try await firstValue("eu-west's slot past the order, or us-east's apply waiting for its standby") { () -> String? in
            let confirmed = try await regions.asAdmin(Self.west) { client in
                try await client.rows("SELECT confirmed_flush_lsn >= \(written)::pg_lsn FROM pg_replication_slots WHERE slot_name = \(slot)")
                    .first?.decode(Bool.self)
            }
            if confirmed == true { return "eu-west's slot moved past the order" }
            let waiting = try await regions.asAdmin(Self.east) { client in
                try await client.rows(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'logical replication worker' AND wait_event = 'SyncRep')"
                ).first?.decode(Bool.self)
            }
            return waiting == true ? "us-east's apply waits for its standby" : nil
        }
    }

    /// Each region's subscriptions and their ids: a resync would drop and create them anew.
    static func subscriptions(_ regions: ReplicatedRegions) async throws -> [String] {
        var found: [String] = []
        for region in regions.regions {
            found += try await regions.asAdmin(region) { client in
                // pg_subscription is the whole cluster's: this test's database only.
                try await client.rows(
                    """
                    SELECT subname::text || ':' || oid::text FROM pg_subscription
                    WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1
                    """
                ).map {
                    "\(region) \(try $0.decode(String.self))"
                }
            }
        }
        return found
    }
}
