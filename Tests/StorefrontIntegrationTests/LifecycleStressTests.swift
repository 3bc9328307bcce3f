import DelayProxy
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import StorefrontApp
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Synchronization
import Testing

/// The app started and stopped again and again while its database is stopped, restarted, crashed, slowed,
/// frozen or has its connections killed at random moments — before, during and after start-up, under
/// shoppers' requests, and during the stop itself. Every stop must end within the region's bound.
///
/// It stops and starts the ap-southeast test cluster, so `scripts/test` runs it on its own.
@Suite(.serialized) struct LifecycleStressTests {
    enum Fault: String, CaseIterable {
        case none
        /// `pg_ctl stop -m fast`: sessions ended, the server gone.
        case stop
        /// `pg_ctl stop -m immediate`, as a crash.
        case crash
        /// Stopped, then started again a moment later.
        case restart
        /// SIGTERM to every backend of the database: each connection ends with a FATAL error.
        case terminateConnections
        /// SIGKILL to one backend: PostgreSQL resets every connection and recovers.
        case killBackend
        /// 20–300 ms each way.
        case slow
        /// 30 s each way: the database accepts and never answers.
        case unresponsive
    }

    static let cycles = Int(ProcessInfo.processInfo.environment["STOREFRONT_STRESS_CYCLES"] ?? "") ?? 200

    @Test func everyStopEndsWithinItsBoundWhateverTheDatabaseDoes() async throws {
        let cluster = try TestCluster.named("ap-southeast")
        let password = try #require(ProcessInfo.processInfo.environment["STOREFRONT_TEST_PASSWORD"])
        let database = "sf_stress_\(UInt32.random(in: 0...UInt32.max))"
        try await Self.create(database, on: cluster)
        let seed = UInt64(ProcessInfo.processInfo.environment["STOREFRONT_STRESS_SEED"] ?? "") ?? UInt64.random(in: 0...UInt64.max)
        print("stress: \(Self.cycles) cycles, seed \(seed) (STOREFRONT_STRESS_SEED repeats the run)")
        var random = SplitMix64(seed: seed)
        let started = ContinuousClock.now

        let (stops, faults) = try await withDelayProxy(to: cluster.port) { proxy in
            var stops: [Duration] = []
            var faults: [Fault: Int] = [:]
            for cycle in 1...Self.cycles {
                let fault = Fault.allCases.randomElement(using: &random)!
                let runFor = Duration.milliseconds(Int.random(in: 0...1500, using: &random))
                // Up to 0.5 s past the run, so that some faults land while the app is stopping.
                let faultAt = Duration.milliseconds(Int.random(in: 0...2000, using: &random))
                let pause = Duration.milliseconds(Int.random(in: 0...500, using: &random))
                faults[fault, default: 0] += 1
                let environment = [
                    "STOREFRONT_REGION": "ap-southeast",
                    "STOREFRONT_DATABASE_URL": "postgres://storefront:\(password)@127.0.0.1:\(proxy.port)/\(database)",
                    "STOREFRONT_MIGRATION_DATABASE_URL": "postgres://storefront_owner:\(password)@127.0.0.1:\(proxy.port)/\(database)",
                    "STOREFRONT_CURSOR_SECRET": "test-cursor-secret-0123456789abcdef",
                    "STOREFRONT_PROBE_INTERVAL_MS": "100", "STOREFRONT_CATALOG_REFRESH_MS": "100",
                    "STOREFRONT_DB_STATEMENT_TIMEOUT_MS": "2000", "STOREFRONT_DB_MAX_CONNECTIONS": "4",
                    "STOREFRONT_DRAIN_GRACE_MS": "0", "STOREFRONT_STOP_TIMEOUT_MS": "5000",
                ]
                let configuration = try AppConfiguration(environment: environment)
                let bound = configuration.drainGrace + configuration.stopTimeout
                let stop = try await withThrowingTaskGroup(of: Duration?.self) { group in
                    group.addTask {
                        try await Task.sleep(for: faultAt)
                        try await Self.apply(fault, to: cluster, database: database, proxy: proxy, pause: pause)
                        return nil
                    }
                    group.addTask {
                        var logger = quietLogger()
                        // The app's requests fail in every way here; only a crash-level record is worth reading.
                        logger.logLevel = .critical
                        let region = try buildRegion(configuration, logger: logger)
                        let ran = Mutex<ContinuousClock.Instant?>(nil)
                        try await withRunningServices(region) {
                            try await region.application().test(.router) { client in
                                await Self.shop(client, for: runFor)
                            }
                            ran.withLock { $0 = .now }
                        }
                        return ContinuousClock.now - ran.withLock { $0! }
                    }
                    var stop: Duration?
                    for try await result in group { stop = stop ?? result }
                    return try #require(stop)
                }
                stops.append(stop)
                #expect(stop < bound, "cycle \(cycle): \(fault.rawValue) at \(faultAt), stop asked at \(runFor): the stop took \(stop)")
                proxy.delay = .zero
                try await cluster.start()
                if cycle % 25 == 0 {
                    print("stress: \(cycle) cycles, longest stop so far \(stops.max()!), \(ContinuousClock.now - started) in all")
                }
            }
            return (stops, faults)
        }
        try await Self.drop(database, on: cluster)
        let sorted = stops.sorted()
        print(
            """
            stress: \(Self.cycles) start/stop cycles in \(ContinuousClock.now - started); faults \(faults.map { "\($0.key.rawValue) \($0.value)" }.sorted().joined(separator: ", "))
            stress: stop took median \(sorted[sorted.count / 2]), p99 \(sorted[sorted.count * 99 / 100]), longest \(sorted.last!) (bound \(Duration.milliseconds(5000)))
            """
        )
    }

    /// Two shoppers browsing and opening carts until `duration` has passed; each request gives up after 3 s.
    static func shop(_ client: any TestClientProtocol, for duration: Duration) async {
        let end = ContinuousClock.now + duration
        await withTaskGroup(of: Void.self) { group in
            for path in ["/v1/products", "/v1/carts"] {
                group.addTask {
                    while ContinuousClock.now < end {
                        _ = try? await withDeadline(.seconds(3)) {
                            try await client.execute(uri: path, method: path == "/v1/carts" ? .post : .get, headers: [:], body: nil)
                        }
                    }
                }
            }
        }
    }

    static func apply(_ fault: Fault, to cluster: TestCluster, database: String, proxy: DelayProxy, pause: Duration) async throws {
        switch fault {
        case .none: break
        case .stop: try await cluster.stop()
        case .crash: try await cluster.crash()
        case .restart:
            try await cluster.stop()
            try await Task.sleep(for: pause)
            try await cluster.start()
        case .terminateConnections:
            for backend in cluster.backends(of: database) { kill(backend, SIGTERM) }
        case .killBackend:
            if let backend = cluster.backends(of: database).first { kill(backend, SIGKILL) }
        case .slow: proxy.delay = .milliseconds(20) + pause / 2
        case .unresponsive: proxy.delay = .seconds(30)
        }
    }

    static func create(_ database: String, on cluster: TestCluster) async throws {
        try await PostgresClient.withRunning(cluster.adminURL(database: "postgres"), logger: TestDatabase.logger, maximumConnections: 1) { client in
            try await client.run("CREATE DATABASE \(unescaped: database) OWNER storefront_owner", logger: TestDatabase.logger)
        }
        try await PostgresClient.withRunning(cluster.adminURL(database: database), logger: TestDatabase.logger, maximumConnections: 1) { client in
            try await client.run("ALTER SCHEMA public OWNER TO storefront_owner", logger: TestDatabase.logger)
            try await client.run("REVOKE CREATE ON SCHEMA public FROM PUBLIC", logger: TestDatabase.logger)
        }
    }

    static func drop(_ database: String, on cluster: TestCluster) async throws {
        try await PostgresClient.withRunning(cluster.adminURL(database: "postgres"), logger: TestDatabase.logger, maximumConnections: 1) { client in
            try await client.run("DROP DATABASE IF EXISTS \(unescaped: database) WITH (FORCE)", logger: TestDatabase.logger)
        }
    }
}

extension TestCluster {
    /// The process ids of the backends serving `database`, from their process titles.
    func backends(of database: String) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry in
            guard let pid = pid_t(entry),
                let title = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
                title.hasPrefix("postgres: "), title.contains(" \(database) ")
            else { return nil }
            return pid
        }
    }
}
