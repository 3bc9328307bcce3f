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

                let east = try await withRegionApps(regions, only: [Self.east]) { apps in
                    let shopper = Shopper(client: apps[Self.east]!)
                    try await shopper.setStock(sku, 1_000)
                    var acknowledged: [String] = []
                    for _ in 0..<10 { acknowledged.append(try await Self.placeOrderAndReturnID(shopper, sku: sku)) }
                    // Acknowledged right before the crash: a commit waits for the synchronous standby.
                    try await ha.crash(node: primary)
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
                    return acknowledged
                }
                #expect(await ha.primary() == standby, "the standby was promoted")

                // The promoted region's own subscription to its peer runs on the new primary.
                let west = try await withRegionApps(regions, only: [Self.west]) { apps in
                    let shopper = Shopper(client: apps[Self.west]!)
                    try await shopper.setStock(sku, 1_000)
                    var placed: [String] = []
                    for _ in 0..<5 { placed.append(try await Self.placeOrderAndReturnID(shopper, sku: sku)) }
                    return placed
                }

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
