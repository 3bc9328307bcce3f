import DelayProxy
import Foundation
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import StorefrontApp
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// Regions whose apps know each other: each reachable at an address picked up front (a proxy to the port
/// the test server got, as the live test server always picks its own), with the others as its peers and
/// the secret they share, so that a region forwards to the home of a cart or an order. Each app runs on
/// its own (`run`), so a test can stop one region while another keeps serving; a stopped region's address
/// refuses connections.
struct PeeredRegions: Sendable {
    static let secret = "test-peer-secret-0123456789abcdef"
    let regions: ReplicatedRegions
    let ports: [Region: Int]
    /// Settings every member runs with besides these.
    let extra: [String: String]

    init(_ regions: ReplicatedRegions, _ members: [Region], extra: [String: String] = [:]) throws {
        self.regions = regions
        self.extra = extra
        var ports: [Region: Int] = [:]
        for region in members { ports[region] = try freePort() }
        self.ports = ports
    }

    func environment(_ region: Region) -> [String: String] {
        let peers = ports.filter { $0.key != region }.map { "\($0.key)=http://127.0.0.1:\($0.value)" }
        return regions.environment(region).merging([
            "STOREFRONT_PEERS": peers.joined(separator: ","),
            "STOREFRONT_PEER_SECRET": Self.secret, "STOREFRONT_RECONCILE_INTERVAL_MS": "200",
            // Production's probe interval, so a peer's /health/live has production's 800 ms to answer: at the
            // suite's 500 ms (400 ms), two slow answers on two loaded cores took a busy peer for a dead one.
            "STOREFRONT_PROBE_INTERVAL_MS": "1000",
        ]) { $1 }.merging(extra) { $1 }
    }

    /// Runs `region`'s app beside `body`, reachable at its address once it is ready.
    func run<Result: Sendable>(_ region: Region, _ body: @Sendable (any TestClientProtocol) async throws -> Result) async throws -> Result {
        var logger = Logger(label: "storefront-\(region)")
        logger.logLevel = .critical
        let runtime = try buildRegion(try AppConfiguration(environment: environment(region)), logger: logger)
        trace("starting the peered \(region) app")
        return try await withRunningServices(runtime) {
            try await runtime.application().test(.live) { client in
                try await waitUntilReady(client)
                let proxy = try await DelayProxy(
                    listen: "127.0.0.1",
                    port: ports[region]!,
                    target: try SocketAddress(ipAddress: "127.0.0.1", port: try #require(client.port))
                )
                do {
                    let result = try await body(client)
                    await proxy.cut()
                    return result
                } catch {
                    await proxy.cut()
                    throw error
                }
            }
        }
    }

    /// Waits until `client`'s region has a healthy verdict on `peer`'s liveness. A region that has just
    /// started takes its first probe of a peer as it comes: one that timed out on a busy machine says the peer
    /// is down, and the region adopts what the peer owns until three good probes say otherwise (a model bug,
    /// owed a fix: an uncertain first failure should wait for its streak). A test of forwarding starts once the
    /// region sees its peer.
    func waitUntil(_ client: any TestClientProtocol, seesLive peer: Region) async throws {
        try await StorefrontIntegrationTests.waitUntil("\(peer) is live as the region sees it") {
            let document = try await client.get("/health").json()
            let node = (document["nodes"] as? [[String: Any]])?.first { $0["id"] as? String == "signal:peers.\(peer).live" }
            return node?["status"] as? String == "healthy"
        }
    }

    /// Stops the region's subscription to `peer`: `peer`'s changes wait in its slot, as over a long lag.
    func pause(_ region: Region, receivingFrom peer: Region) async throws {
        let name = ReplicationTopology.subscriptionName(from: peer)
        _ = try await regions.asAdmin(region) { client in try await client.query("ALTER SUBSCRIPTION \(unescaped: name) DISABLE").collect().count }
    }

    func resume(_ region: Region, receivingFrom peer: Region) async throws {
        let name = ReplicationTopology.subscriptionName(from: peer)
        _ = try await regions.asAdmin(region) { client in try await client.query("ALTER SUBSCRIPTION \(unescaped: name) ENABLE").collect().count }
    }
}
