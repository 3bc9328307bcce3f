import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport

/// A region whose PostgreSQL is a Patroni pair, a primary and its synchronous standby, behind the router
/// that follows the primary: started by `scripts/lib/ha-region`, the same script `scripts/lab up --ha`
/// uses, with an etcd of its own, and stopped with the test.
struct HARegion: Sendable {
    let region: Region
    let directory: String
    /// The region's database address (the primary, else the standby read-only) and the primary's.
    let routerPort: Int
    let primaryPort: Int
    let nodes: [(postgres: Int, rest: Int)]
    let password: String

    /// What the replication tests need of a cluster: the router's addresses (the primary's for everything but
    /// the storefront) and the superuser by password.
    var cluster: TestCluster {
        TestCluster(region: region, port: primaryPort, directory: directory, superuserPassword: password, storefrontPort: routerPort)
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/lib/ha-region")
        .standardizedFileURL.path

    static func with<Result: Sendable>(_ region: Region, _ body: @Sendable (HARegion) async throws -> Result) async throws -> Result {
        let (_, password) = try ReplicatedRegions.fromEnvironment()
        let directory = NSTemporaryDirectory() + "ha-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let (etcdClient, etcdPeer) = (try freePort(), try freePort())
        let ha = HARegion(
            region: region,
            directory: "\(directory)/\(region.name)",
            routerPort: try freePort(),
            primaryPort: try freePort(),
            nodes: [(try freePort(), try freePort()), (try freePort(), try freePort())],
            password: password
        )
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await run(["etcd-start", "\(directory)/etcd", "127.0.0.1", "\(etcdClient)", "\(etcdPeer)"])
        do {
            trace("starting a Patroni pair for \(region)")
            try await run(
                [
                    "start", ha.directory, region.name, "127.0.0.1", "\(ha.routerPort)", "\(ha.primaryPort)", "\(ha.nodes[0].postgres)",
                    "\(ha.nodes[0].rest)",
                    "\(ha.nodes[1].postgres)", "\(ha.nodes[1].rest)", "127.0.0.1:\(etcdClient)", password,
                ]
            )
            trace("started a Patroni pair for \(region)")
            let result = try await body(ha)
            try? await run(["stop", ha.directory])
            try? await run(["etcd-stop", "\(directory)/etcd"])
            return result
        } catch {
            ha.reportLogs(etcd: "\(directory)/etcd/etcd.log")
            try? await run(["stop", ha.directory])
            try? await run(["etcd-stop", "\(directory)/etcd"])
            throw error
        }
    }

    /// What Patroni (with its servers), the router and etcd said, when a test fails: the directory holding
    /// their logs is removed with the test, and a failover that did not happen is read there. The last lines
    /// of each are printed (a CI run keeps nothing else), the whole logs kept in the test artifacts.
    func reportLogs(etcd: String, lines: Int = 100) {
        let kept =
            (ProcessInfo.processInfo.environment["STOREFRONT_TEST_ARTIFACTS"] ?? NSTemporaryDirectory())
            + "/ha-\(region)-\(Int(Date().timeIntervalSince1970))"
        try? FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
        for (file, name) in [
            ("\(directory)/node1/patroni.log", "node1-patroni.log"), ("\(directory)/node2/patroni.log", "node2-patroni.log"),
            ("\(directory)/router.log", "router.log"), (etcd, "etcd.log"),
        ] {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? "(none)"
            try? text.write(toFile: "\(kept)/\(name)", atomically: false, encoding: .utf8)
            print("--- \(file), its last \(lines) lines:\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n"))
        }
        print("--- the whole logs: \(kept)")
    }

    private static func run(_ arguments: [String]) async throws {
        let status = await spawnAndWait(["/bin/bash", script] + arguments)
        guard status == 0 else { throw TestSetupError("ha-region \(arguments.prefix(2).joined(separator: " ")) exited with \(status)") }
    }

    /// The node (0 or 1) whose Patroni says it is the primary, if any.
    func primary() async -> Int? {
        for (index, node) in nodes.enumerated() where (try? await Self.get(node.rest, "/primary")) == 200 { return index }
        return nil
    }

    /// The primary's machine lost: its Patroni and PostgreSQL killed, nothing shut down.
    func crash(node: Int) async throws {
        trace("crashing \(region)'s node \(node + 1)")
        try await Self.run(["crash-node", directory, "\(node + 1)"])
    }

    /// Runs `body` while node `node` receives nothing from the primary, as over a link that stalls and then
    /// drops: its WAL receiver is stopped (SIGSTOP) for `body`, then killed, and what was in flight to it is
    /// lost. Its server restarts the receiver (after a restart of its own, as for any child killed).
    func withReplicationCutOff<Result: Sendable>(to node: Int, _ body: () async throws -> Result) async throws -> Result {
        let url = try serverURL(of: node)
        let receiver = try await PostgresClient.withRunning(url, logger: ReplicatedRegions.logger, maximumConnections: 1) { client in
            try await client.rows("SELECT pid FROM pg_stat_wal_receiver").first?.decode(Int32.self)
        }
        guard let receiver else { throw TestSetupError("node \(node + 1) has no WAL receiver") }
        trace("stopping \(region)'s node \(node + 1)'s WAL receiver")
        kill(receiver, SIGSTOP)
        defer { kill(receiver, SIGKILL) }
        return try await body()
    }

    /// Makes `slots` (logical slots this region publishes from) permanent: Patroni keeps a copy of each on the
    /// standby, advanced as the primary's moves, so the subscribers carry on from the standby once promoted.
    func keepOnFailover(_ slots: [String], database: String, standby: Int) async throws {
        let entries = slots.map { #""\#($0)": {"type": "logical", "database": "\#(database)", "plugin": "pgoutput"}"# }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(nodes[1 - standby].rest)/config")
        request.method = .PATCH
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"slots": {\#(entries.joined(separator: ", "))}}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status == .ok else { throw TestSetupError("PATCH /config: \(response.status)") }
        // Copied by restarting the standby, then advanced every loop.
        let url = try serverURL(of: standby, database: database)
        try await waitUntil("the standby holds the permanent slots", timeout: .seconds(60)) {
            let found = try await PostgresClient.withRunning(url, logger: ReplicatedRegions.logger, maximumConnections: 1) { client in
                try await client.rows("SELECT slot_name::text FROM pg_replication_slots WHERE slot_type = 'logical'").map {
                    try $0.decode(String.self)
                }
            }
            return Set(slots).isSubset(of: found)
        }
        // The copy restarted the standby, which is no longer the synchronous one until it has caught up
        // again; until then Patroni would promote nothing.
        try await Self.run([
            "wait-synchronous", "127.0.0.1", "\(nodes[1 - standby].postgres)", "\(region.name)-\(standby + 1)", "\(nodes[standby].postgres)",
            "\(nodes[standby].rest)", password,
        ])
    }

    /// Node `node`'s own server (not the router's), as its superuser.
    private func serverURL(of node: Int, database: String = "postgres") throws -> DatabaseURL {
        try DatabaseURL("postgres://postgres:\(password)@127.0.0.1:\(nodes[node].postgres)/\(database)")
    }

    private static func get(_ port: Int, _ path: String) async throws -> UInt {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(2))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }
}
