import Foundation
import HummingbirdTesting
import Logging
import PostgresNIO
import StorefrontApp
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// Three real PostgreSQL clusters from `scripts/test`, one per region (cluster_name = region), with a
/// database of this test's own that replicates between them exactly as the lab's does.
struct ReplicatedRegions: Sendable {
    let clusters: [TestCluster]
    let database: String
    let password: String
    /// How far each cluster's log went before this test: earlier tests' errors are not this test's.
    var logOffsets: [Region: Int] = [:]
    static let catalogHome = try! Region("us-east")
    static let products = 20
    static let logger = Logger(label: "replication-test")

    var regions: [Region] { clusters.map(\.region) }

    func cluster(_ region: Region) -> TestCluster { clusters.first { $0.region == region }! }

    func ownerURL(_ region: Region) -> DatabaseURL {
        try! DatabaseURL("postgres://storefront_owner:\(password)@127.0.0.1:\(cluster(region).port)/\(database)")
    }

    func appURL(_ region: Region) -> DatabaseURL {
        try! DatabaseURL("postgres://storefront:\(password)@127.0.0.1:\(cluster(region).storefrontPort ?? cluster(region).port)/\(database)")
    }

    /// The superuser, through the Unix socket: replication setup needs it.
    func adminURL(_ region: Region, database: String? = nil) -> DatabaseURL {
        cluster(region).adminURL(database: database ?? self.database)
    }

    func replicatorURL(_ region: Region) -> DatabaseURL {
        try! DatabaseURL("postgres://storefront_replicator:\(password)@127.0.0.1:\(cluster(region).port)/\(database)")
    }

    func topology(_ region: Region, peers: Bool = true) throws -> ReplicationTopology {
        try ReplicationTopology(
            region: region,
            catalogHome: Self.catalogHome,
            peers: peers ? regions.filter { $0 != region }.map { .init(region: $0, url: replicatorURL($0)) } : [],
            database: database
        )
    }

    /// The app's environment for one region, as `scripts/lab` writes it.
    func environment(_ region: Region) -> [String: String] {
        return [
            "STOREFRONT_REGION": region.name, "STOREFRONT_CATALOG_HOME": Self.catalogHome.name,
            "STOREFRONT_DATABASE_URL": urlString(appURL(region)), "STOREFRONT_MIGRATION_DATABASE_URL": urlString(ownerURL(region)),
            "STOREFRONT_CURSOR_SECRET": "test-cursor-secret-0123456789abcdef", "STOREFRONT_ADMIN_TOKEN": Shopper.adminToken,
            "STOREFRONT_CATALOG_REFRESH_MS": "200", "STOREFRONT_PROBE_INTERVAL_MS": "500", "STOREFRONT_DB_STATEMENT_TIMEOUT_MS": "30000",
            "STOREFRONT_DB_MAX_CONNECTIONS": "8",
            "STOREFRONT_ADMISSION_WAIT_MS": "30000", "STOREFRONT_RATE_LIMITS": "off",
            "STOREFRONT_HEALTH_DETAILS": "public", "STOREFRONT_REQUEST_TIMEOUT_MS": "120000",
        ]
    }

    static func fromEnvironment() throws -> (clusters: [TestCluster], password: String) {
        guard let password = ProcessInfo.processInfo.environment["STOREFRONT_TEST_PASSWORD"] else {
            throw TestSetupError("STOREFRONT_TEST_PASSWORD is not set: run the tests with scripts/test")
        }
        return (try TestCluster.all(), password)
    }

    // MARK: Life of the test's databases

    /// `clusters`: the regions' clusters, by default the three `scripts/test` started.
    static func withRegions<Result: Sendable>(
        clusters: [TestCluster]? = nil,
        _ body: @Sendable (ReplicatedRegions) async throws -> Result
    ) async throws -> Result {
        let (all, password) = try fromEnvironment()
        let clusters = clusters ?? all
        var regions = ReplicatedRegions(clusters: clusters, database: "sf_repl_\(UInt32.random(in: 0...UInt32.max))", password: password)
        for cluster in clusters {
            regions.logOffsets[cluster.region] =
                (try? FileManager.default.attributesOfItem(atPath: "\(cluster.directory)/postgres.log")[.size] as? Int) ?? 0
        }
        trace("creating \(regions.database)")
        try await regions.create()
        trace("created \(regions.database)")
        do {
            let result = try await body(regions)
            trace("dropping \(regions.database)")
            try await regions.drop()
            trace("dropped \(regions.database)")
            return result
        } catch {
            try? await regions.drop()
            throw error
        }
    }

    private func create() async throws {
        for region in regions {
            try await PostgresClient.withRunning(ownerURL(region).with(database: "postgres"), logger: Self.logger, maximumConnections: 1) { client in
                try await client.run("CREATE DATABASE \(unescaped: database)")
            }
            let migrator = try Migrator(migrations: try Migration.bundled(), appRole: "storefront", logger: Self.logger)
            try await PostgresClient.withRunning(ownerURL(region), logger: Self.logger, maximumConnections: 1) { client in
                try await migrator.migrate(client)
            }
        }
        try await PostgresClient.withRunning(ownerURL(Self.catalogHome), logger: Self.logger, maximumConnections: 1) { client in
            try await CatalogSeeder(client: client, logger: Self.logger).seed(products: Self.products, stockRegion: Self.catalogHome)
        }
        for peers in [false, true] {
            for region in regions {
                let topology = try topology(region, peers: peers)
                try await asAdmin(region) { client in
                    try await ReplicationSetup(client: client, topology: topology, replicatorRole: "storefront_replicator", logger: Self.logger).run()
                }
            }
        }
        let variants = try await count("SELECT count(*) FROM variants", in: Self.catalogHome)
        for region in regions where region != Self.catalogHome {
            try await waitUntil("the catalog reached \(region)", timeout: .seconds(60)) {
                try await count("SELECT count(*) FROM variants", in: region) == variants
            }
            try await PostgresClient.withRunning(ownerURL(region), logger: Self.logger, maximumConnections: 1) { client in
                try await CatalogSeeder(client: client, logger: Self.logger).seed(products: Self.products, stockRegion: region, writeCatalog: false)
            }
        }
        // A publisher that crashes while a peer still copies a table from it loses the copy's slot, and the
        // peer's sync worker then fails for good ("replication slot pg_…_sync_… does not exist"): tests
        // crash regions, so they begin only once every table of every subscription is copied.
        for region in regions {
            try await waitUntil("every table copied to \(region)", timeout: .seconds(60)) {
                try await count("SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'", in: region) == 0
            }
            // Replication workers commit asynchronously: a crash right now could lose the copy's "ready" state
            // while its publisher has already dropped the copy's slot. A checkpoint makes the state durable.
            try await asAdmin(region) { client in try await client.run("CHECKPOINT") }
        }
    }

    private func drop() async throws {
        for region in regions { try? await start(region) }
        for region in regions {
            try await asAdmin(region) { client in
                let names = try await client.rows(
                    "SELECT subname::text FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ).map { try $0.decode(String.self) }
                for name in names {
                    try await client.run("ALTER SUBSCRIPTION \(unescaped: name) DISABLE")
                    try await client.run("ALTER SUBSCRIPTION \(unescaped: name) SET (slot_name = NONE)")
                    try await client.run("DROP SUBSCRIPTION \(unescaped: name)")
                }
            }
        }
        for region in regions {
            try await PostgresClient.withRunning(adminURL(region, database: "postgres"), logger: Self.logger, maximumConnections: 1) { client in
                try await client.run(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = \(database) AND NOT active"
                )
                try await client.run("DROP DATABASE IF EXISTS \(unescaped: database) WITH (FORCE)")
            }
        }
    }

    // MARK: Helpers

    func asAdmin<Result: Sendable>(_ region: Region, _ body: @escaping @Sendable (PostgresClient) async throws -> Result) async throws -> Result {
        try await PostgresClient.withRunning(adminURL(region), logger: Self.logger, maximumConnections: 1, body)
    }

    func count(_ query: PostgresQuery, in region: Region) async throws -> Int {
        try await PostgresClient.withRunning(ownerURL(region), logger: Self.logger, maximumConnections: 1) { client in
            try await client.scalar(query, as: Int.self)
        }
    }

    /// An order-independent digest of a table's rows: equal in two regions when they hold the same rows.
    func checksum(_ table: String, columns: String = "*", in region: Region) async throws -> String {
        try await PostgresClient.withRunning(ownerURL(region), logger: Self.logger, maximumConnections: 1) { client in
            try await client.scalar(
                "SELECT coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), 'empty') FROM (SELECT \(unescaped: columns) FROM \(unescaped: table)) r",
                as: String.self
            )
        }
    }

    /// Every replicated table, with the columns that must agree (a product's updated_at is stamped on arrival).
    static let replicatedTables: [(table: String, columns: String)] = [
        ("brands", "*"), ("categories", "*"), ("variants", "*"),
        ("products", "id, name, description, brand, category, gender, tags, image_urls, price_from, created_at"),
        ("carts", "*"), ("cart_items", "*"), ("orders", "*"), ("order_lines", "*"), ("stock", "*"),
        ("idempotency_keys", "*"), ("stock_transfers", "*"), ("stock_transfer_receipts", "*"),
    ]

    /// Waits until every replicated table has the same rows in every region; returns how long it took.
    @discardableResult
    func waitForConvergence(timeout: Duration = .seconds(60)) async throws -> Duration {
        let start = ContinuousClock.now
        trace("waiting for convergence")
        try await waitUntil("all regions converged", timeout: timeout) { try await divergentTables().isEmpty }
        trace("converged")
        return ContinuousClock.now - start
    }

    func divergentTables() async throws -> [String] {
        var divergent: [String] = []
        for (table, columns) in Self.replicatedTables {
            var digests = Set<String>()
            for region in regions { digests.insert(try await checksum(table, columns: columns, in: region)) }
            if digests.count > 1 { divergent.append(table) }
        }
        return divergent
    }

    /// What would stall replication: a subscription that is disabled or whose worker is not running, or an
    /// apply error that is not a lost connection to a crashed peer (a conflict, a missing column). Waits
    /// for workers to come back after restarts; returns the problems, none when replication is sound.
    func replicationProblems() async throws -> [String] {
        var problems: [String] = []
        try? await waitUntil("every subscription's worker runs", timeout: .seconds(30)) {
            try await stalledSubscriptions().isEmpty
        }
        problems += try await stalledSubscriptions()
        for cluster in clusters {
            let data = (try? Data(contentsOf: URL(fileURLWithPath: "\(cluster.directory)/postgres.log"))) ?? Data()
            let log = String(decoding: data.dropFirst(logOffsets[cluster.region] ?? 0), as: UTF8.self)
            // scripts/test logs the backend type: errors of the apply and sync workers, less lost connections.
            // A peer that crashed shows as errors about the connection. A worker that starts while the one it
            // replaces still holds the replication origin fails once and is restarted; the stall check above
            // catches one that does not recover. Anything else is a real problem.
            problems += log.split(separator: "\n").filter { line in
                // The worker's own errors only: a LOG line may quote an ERROR from the publisher, such as a
                // sync slot a crashed publisher no longer has.
                line.contains("logical replication worker ERROR: ") && !line.contains("connect")
                    && !line.contains("is already active for PID")
            }.map { "\(cluster.region): \($0)" }
        }
        for problem in problems { trace("replication problem: \(problem)") }
        return problems
    }

    private func stalledSubscriptions() async throws -> [String] {
        var stalled: [String] = []
        for region in regions {
            let rows = try await asAdmin(region) { client in
                try await client.rows(
                    """
                    SELECT s.subname::text, s.subenabled, st.pid IS NOT NULL FROM pg_subscription s
                    LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL
                    WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """
                )
            }
            for row in rows {
                let (name, enabled, running) = try row.decode((String, Bool, Bool).self)
                if !enabled || !running { stalled.append("\(region) \(name): enabled \(enabled), worker running \(running)") }
            }
        }
        return stalled
    }

    // MARK: Crashes

    /// Stops the region's PostgreSQL as a crash does: no shutdown checkpoint, clients cut off.
    func crash(_ region: Region) async throws {
        trace("crashing \(region)")
        try await cluster(region).crash()
    }

    /// Stops the region's PostgreSQL as an operator does: sessions are ended, the server shuts down cleanly.
    func stop(_ region: Region) async throws {
        trace("stopping \(region)")
        try await cluster(region).stop()
    }

    func start(_ region: Region) async throws {
        guard !cluster(region).isRunning else { return }
        trace("starting \(region)")
        try await cluster(region).start()
        trace("started \(region)")
    }
}

/// A progress line on standard error, unbuffered, so a stuck test shows how far it got.
func trace(_ message: String) {
    FileHandle.standardError.write(Data("[replication-test \(Date())] \(message)\n".utf8))
}

/// Runs the region's app on a real port (the tests' other apps answer in-process), for clients from outside
/// the test process: peers, a browser.
func withLiveRegionApp<Result: Sendable>(
    _ regions: ReplicatedRegions,
    _ region: Region,
    environment extra: [String: String] = [:],
    _ body: @Sendable (any TestClientProtocol, Int) async throws -> Result
) async throws -> Result {
    var logger = Logger(label: "storefront-\(region)")
    logger.logLevel = .critical
    let environment = regions.environment(region).merging(extra) { $1 }
    let runtime = try buildRegion(try AppConfiguration(environment: environment), logger: logger)
    return try await withRunningServices(runtime) {
        try await runtime.application().test(.live) { client in
            try await waitUntilReady(client)
            return try await body(client, try #require(client.port))
        }
    }
}

/// How long `condition` took to hold, polled as `waitUntil` does: for the figures the fault tests print.
func timeUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: @Sendable () async throws -> Bool) async throws -> Duration {
    let start = ContinuousClock.now
    try await waitUntil(what, timeout: timeout, condition)
    return ContinuousClock.now - start
}

/// Polls `condition` until it holds; throws after `timeout`, naming what it waited for.
func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: @Sendable () async throws -> Bool) async throws {
    try await firstValue(what, timeout: timeout) { try await condition() ? () : nil }
}

/// Polls `attempt` until it gives a value, and returns that value: for asserting on the very answer that
/// met a condition, not on a later one that may not.
@discardableResult
func firstValue<Value>(_ what: String, timeout: Duration = .seconds(30), _ attempt: @Sendable () async throws -> Value?) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = try? await attempt() { return value }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TestSetupError("timed out after \(timeout) waiting until \(what)")
}

/// Runs one app per region (or per region of `only`), each built exactly as `storefront serve` builds it,
/// and hands their test clients to `body`. A region crashed by a test has its app stopped first, as a
/// real region crash takes both: run those apps around the crash, not across it.
func withRegionApps<Result: Sendable>(
    _ regions: ReplicatedRegions,
    only: [Region]? = nil,
    _ body: @Sendable ([Region: any TestClientProtocol]) async throws -> Result
) async throws -> Result {
    try await withRegionApps(regions, (only ?? regions.regions)[...], [:], body)
}

private func withRegionApps<Result: Sendable>(
    _ regions: ReplicatedRegions,
    _ remaining: ArraySlice<Region>,
    _ clients: [Region: any TestClientProtocol],
    _ body: @Sendable ([Region: any TestClientProtocol]) async throws -> Result
) async throws -> Result {
    guard let region = remaining.first else { return try await body(clients) }
    var logger = Logger(label: "storefront-\(region)")
    logger.logLevel = .critical
    let runtime = try buildRegion(try AppConfiguration(environment: regions.environment(region)), logger: logger)
    trace("starting the \(region) app")
    let result = try await withRunningServices(runtime) {
        try await runtime.application().test(.router) { client in
            try await waitUntilReady(client)
            var clients = clients
            clients[region] = client
            let result = try await withRegionApps(regions, remaining.dropFirst(), clients, body)
            trace("stopping the \(region) app")
            return result
        }
    }
    trace("stopped the \(region) app")
    return result
}
