import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import StorefrontApp
import StorefrontCore
import StorefrontPostgres

struct Replication: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set up, inspect and repair logical replication between regions.",
        subcommands: [ReplicationSetupCommand.self, ReplicationStatusCommand.self, ReplicationResyncCommand.self]
    )
}

/// Where this region's database is, as a superuser, and who its peers are.
struct ReplicationOptions: ParsableArguments {
    @OptionGroup var common: CommonOptions
    @Option(help: "This region's database as a superuser (STOREFRONT_REPLICATION_ADMIN_URL); ?host=/dir uses the Unix socket.")
    var adminURL: String?
    @Option(help: "The catalog home region (STOREFRONT_CATALOG_HOME).") var catalogHome: String?
    @Option(help: "A peer as NAME=URL, its database as the replicator role; repeat per peer (STOREFRONT_REPLICATION_PEERS, comma-separated).")
    var peer: [String] = []
    @Option(help: "The role peers replicate as (STOREFRONT_REPLICATOR_ROLE).") var replicatorRole: String?

    struct Resolved {
        var configuration: AppConfiguration
        var adminURL: DatabaseURL
        var topology: ReplicationTopology
        var replicatorRole: String
    }

    func resolve() throws -> Resolved {
        let configuration = try common.configuration(["STOREFRONT_CATALOG_HOME": catalogHome])
        let environment = ProcessInfo.processInfo.environment
        do {
            guard let admin = adminURL ?? environment["STOREFRONT_REPLICATION_ADMIN_URL"] else {
                throw ValidationError("--admin-url or STOREFRONT_REPLICATION_ADMIN_URL is required")
            }
            let adminURL = try DatabaseURL(admin)
            let peerTexts =
                peer.isEmpty
                ? (environment["STOREFRONT_REPLICATION_PEERS"] ?? "").split(separator: ",").map(String.init) : peer
            let peers = try peerTexts.map { text throws -> ReplicationTopology.PeerDatabase in
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("a peer is NAME=URL, not \(text)") }
                return .init(region: try Region(parts[0]), url: try DatabaseURL(parts[1]))
            }
            let topology = try ReplicationTopology(
                region: configuration.region,
                catalogHome: configuration.catalogHome,
                peers: peers,
                database: adminURL.database
            )
            return Resolved(
                configuration: configuration,
                adminURL: adminURL,
                topology: topology,
                replicatorRole: replicatorRole ?? environment["STOREFRONT_REPLICATOR_ROLE"] ?? "storefront_replicator"
            )
        } catch let error as StorefrontError {
            throw ValidationError("\(error)")
        }
    }
}

struct ReplicationSetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Publish this region's rows (and the catalog, in its home) and subscribe to every peer. Idempotent."
    )
    @OptionGroup var options: ReplicationOptions
    @Flag(help: "Only publish; subscribe in a second run, once every peer has published.") var publishOnly = false

    func run() async throws {
        try await reportingFailures {
            var resolved = try options.resolve()
            if publishOnly { resolved.topology.peers = [] }
            let logger = makeLogger(resolved.configuration)
            let topology = resolved.topology
            let replicatorRole = resolved.replicatorRole
            try await PostgresClient.withRunning(resolved.adminURL, logger: logger, maximumConnections: 1) { client in
                try await ReplicationSetup(client: client, topology: topology, replicatorRole: replicatorRole, logger: logger).run()
            }
            print(
                "replication set up: \(resolved.topology.region) publishes its rows and subscribes to \(resolved.topology.peers.map(\.region.name).joined(separator: ", "))"
            )
        }
    }
}

struct ReplicationResyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resync",
        abstract: "Copy a peer's rows afresh after the slot it streamed from was lost (past max_slot_wal_keep_size).",
        discussion: """
            The region is drained through its API first (its readiness turns 503, so the edge stops sending), and the \
            drain is lifted once every table is copied: a serving region never shows an empty catalog. A region \
            that is not serving at all can be resynced with --not-serving.
            """
    )
    @OptionGroup var options: ReplicationOptions
    @Option(name: .customLong("from"), help: "The peer whose rows to copy again.") var from: String
    @Option(help: "This region's API, drained during the copy (default: http://STOREFRONT_HOST:STOREFRONT_PORT).") var regionURL: String?
    @Flag(help: "The region's storefront is not running: copy without draining it.") var notServing = false

    func run() async throws {
        try await reportingFailures {
            let resolved = try options.resolve()
            let logger = makeLogger(resolved.configuration)
            guard let peer = resolved.topology.peers.first(where: { $0.region.name == from }) else {
                throw ValidationError("\(from) is not a configured peer")
            }
            try await PostgresClient.withRunning(resolved.adminURL, logger: logger, maximumConnections: 1) { client in
                let setup = try ReplicationSetup(client: client, topology: resolved.topology, replicatorRole: resolved.replicatorRole, logger: logger)
                if notServing {
                    try await setup.resync(peer: peer)
                    print("resynchronising \(resolved.topology.region) from \(from): its rows are being copied again")
                    return
                }
                guard let adminToken = resolved.configuration.adminToken else {
                    throw ValidationError("draining the region needs STOREFRONT_ADMIN_TOKEN (or pass --not-serving)")
                }
                let url = regionURL ?? "http://\(resolved.configuration.host):\(resolved.configuration.port)"
                try await DrainedResync(regionURL: url, adminToken: adminToken, logger: logger).run(setup, peer: peer) { print($0) }
            }
        }
    }
}

struct ReplicationStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Each peer's subscription, lag and errors; each slot.")
    @OptionGroup var options: ReplicationOptions

    func run() async throws {
        try await reportingFailures {
            let resolved = try options.resolve()
            let logger = makeLogger(resolved.configuration)
            let report = try await PostgresClient.withRunning(resolved.adminURL, logger: logger, maximumConnections: 1) { client in
                try await client.withOpenConnection { try await ReplicationInspector(logger: logger).report($0) }
            }
            print(ReplicationStatusText.render(report, topology: resolved.topology))
        }
    }
}

/// The status report as an operator reads it.
enum ReplicationStatusText {
    static func render(_ report: ReplicationReport, topology: ReplicationTopology) -> String {
        var lines = ["region \(topology.region), catalog home \(topology.catalogHome)", ""]
        lines.append(pad(["peer", "subscription", "apply worker", "received", "applied", "heartbeat lag", "errors apply/sync"]))
        for peer in topology.peers {
            let name = topology.subscription(to: peer.region)
            let lag = report.heartbeatAge[peer.region.name].map { String(format: "%.2f s", $0) } ?? "no heartbeat yet"
            guard let subscription = report.subscriptions.first(where: { $0.name == name }) else {
                lines.append(pad([peer.region.name, "MISSING (run setup)", "-", "-", "-", lag, "-"]))
                continue
            }
            lines.append(
                pad([
                    peer.region.name, subscription.enabled ? "enabled" : "DISABLED", subscription.workerRunning ? "running" : "NOT RUNNING",
                    subscription.receivedLSN ?? "-", subscription.latestEndLSN ?? "-", lag, "\(subscription.applyErrors)/\(subscription.syncErrors)",
                ])
            )
        }
        lines.append("")
        lines.append("slots peers read this region's changes from:")
        if report.slots.isEmpty { lines.append("  none") }
        for slot in report.slots {
            var line = "  \(slot.name): \(slot.active ? "active" : "inactive"), WAL \(slot.walStatus ?? "unknown")"
            if let safe = slot.safeWALBytes { line += ", \(safe / 1_048_576) MiB before it is lost" }
            lines.append(line)
            if slot.isLost, let reader = slot.name.components(separatedBy: "_to_").last {
                let readerRegion = reader.replacingOccurrences(of: "_", with: "-")
                lines.append("  LOST: \(readerRegion) can no longer stream from \(topology.region). Run in \(readerRegion):")
                lines.append("    storefront replication resync --from \(topology.region)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ columns: [String]) -> String {
        let widths = [14, 20, 13, 14, 14, 17, 17]
        return zip(columns, widths).map { $0.padding(toLength: max($1, $0.count + 1), withPad: " ", startingAt: 0) }.joined()
    }
}
