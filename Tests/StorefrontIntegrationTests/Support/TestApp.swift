import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import StorefrontApp
import StorefrontCore
import StorefrontHealth
import StorefrontPostgres
import StorefrontTestSupport
import Synchronization
import Testing

/// The app exactly as `storefront serve` builds it, against a test database, with fast background loops;
/// the test begins once it is ready, or at once when `readiness` is false.
func withTestApp<Result: Sendable>(
    _ database: TestDatabase,
    environment extra: [String: String] = [:],
    logger: Logger? = nil,
    health: HealthMonitor? = nil,
    readiness: Bool = true,
    _ test: @Sendable (any TestClientProtocol) async throws -> Result
) async throws -> Result {
    var environment = appEnvironment(database)
    environment.merge(extra) { $1 }
    let configuration = try AppConfiguration(environment: environment)
    let region = try buildRegion(configuration, health: health, logger: logger ?? quietLogger())
    return try await TestAppSlots.shared.whileHolding {
        try await withRunningServices(region) {
            try await region.application().test(.router) { client in
                if readiness { try await waitUntilReady(client) }
                return try await test(client)
            }
        }
    }
}

/// The same, served on a real port, for clients from outside the process: the load generator, a browser.
func withLiveTestApp<Result: Sendable>(
    _ database: TestDatabase,
    environment extra: [String: String] = [:],
    _ test: @Sendable (any TestClientProtocol, Int) async throws -> Result
) async throws -> Result {
    var environment = appEnvironment(database)
    environment.merge(extra) { $1 }
    environment["STOREFRONT_PORT"] = "0"
    let region = try buildRegion(try AppConfiguration(environment: environment), logger: quietLogger())
    return try await TestAppSlots.shared.whileHolding {
        try await withRunningServices(region) {
            try await region.application().test(.live) { client in
                try await waitUntilReady(client)
                return try await test(client, try #require(client.port))
            }
        }
    }
}

func quietLogger(_ label: String = "storefront-test") -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .error
    return logger
}

/// Runs the region's service group (`RegionRuntime.serviceGroup`, the one `storefront serve` runs, less the
/// HTTP server: the test's client answers through the router) beside `body`, then stops it as SIGTERM does. The
/// stop is bounded: past the region's stop bound the test fails with what did not stop and what it was
/// waiting for, the services are cancelled, and if even that does not end them the process stops with the
/// same report — a hang would otherwise show only as a test run that never ends.
func withRunningServices<Result: Sendable>(
    _ region: RegionRuntime,
    _ body: () async throws -> Result
) async throws -> Result {
    let test = Test.current?.name ?? "a test"
    let deadline = region.stopDeadline(
        overran: { report in
            FileHandle.standardError.write(Data("the app of \(test) did not stop within its bound, cancelling it\n\(report)\n".utf8))
        },
        abandoned: { report in fatalError("the app of \(test) did not stop even when cancelled\n\(report)") }
    )
    // The tests log through swift-log's own handler, not the JSON log writer.
    let group = region.serviceGroup(server: nil, logWriter: nil, deadline: deadline, stopsOnSignals: false)
    return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { tasks in
        tasks.addTask { try await group.run() }
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        deadline.disarm()
        if let report = deadline.overrunReport {
            Issue.record("the app of \(test) did not stop within \(region.gracefulStopBound)\n\(report)")
        }
        return try outcome.get()
    }
}

/// Bounds how many apps the suite runs at once, so that the tests never exhaust their own cluster's
/// connections (each app opens up to `STOREFRONT_DB_MAX_CONNECTIONS`, and the tests' own clients more).
actor TestAppSlots {
    static let shared = TestAppSlots(count: 8)

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = count }

    func whileHolding<Result: Sendable>(_ body: () async throws -> sending Result) async throws -> sending Result {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// The app's environment for a test database, with fast background loops.
func appEnvironment(_ database: TestDatabase) -> [String: String] {
    [
        "STOREFRONT_REGION": TestDatabase.region.name,
        "STOREFRONT_DATABASE_URL": urlString(database.appURL),
        "STOREFRONT_MIGRATION_DATABASE_URL": urlString(database.ownerURL),
        "STOREFRONT_CURSOR_SECRET": "test-cursor-secret-0123456789abcdef",
        "STOREFRONT_ADMIN_TOKEN": "test-admin-token-0123456789abcdef",
        "STOREFRONT_CATALOG_REFRESH_MS": "100",
        "STOREFRONT_PROBE_INTERVAL_MS": "500",
        // Tests run many apps and three clusters at once on two cores: lock waits can be long.
        "STOREFRONT_DB_STATEMENT_TIMEOUT_MS": "30000",
        // Their races queue hundreds of requests on purpose: admission control is tested on its own.
        "STOREFRONT_ADMISSION_WAIT_MS": "30000",
        // A failing test's log shows every request.
        "STOREFRONT_ACCESS_LOG_SAMPLE": "1",
        "STOREFRONT_DB_MAX_CONNECTIONS": "10",
        "STOREFRONT_DRAIN_GRACE_MS": "0",
        "STOREFRONT_STOP_TIMEOUT_MS": "15000",
        // Every test shopper comes from 127.0.0.1; the limits are tested on their own.
        "STOREFRONT_RATE_LIMITS": "off",
        // The tests read the model's reasons and the metrics; who may is tested on its own.
        "STOREFRONT_HEALTH_DETAILS": "public",
        // Above the statement timeout: on a loaded machine a test that holds a lock on purpose (admission,
        // lock timeouts) can keep a request waiting longer than the production default allows, which is
        // not what it tests; RequestDeadlineTests sets its own.
        "STOREFRONT_REQUEST_TIMEOUT_MS": "120000",
    ]
}

func urlString(_ url: DatabaseURL) -> String {
    "postgres://\(url.username):\(url.password ?? "")@\(url.host):\(url.port)/\(url.database)"
}

/// Start-up (migrations check, catalog load) happens in the background; tests begin once the region is ready.
func waitUntilReady(_ client: any TestClientProtocol) async throws {
    // Generous: the whole suite shares two cores with three clusters.
    for _ in 0..<600 {
        let status = try await client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil).status
        if status == .ok { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestSetupError("the app did not become ready within 30 s")
}

/// The value of an unlabelled metric in a Prometheus text exposition.
func metricValue(_ exposition: String, _ name: String) -> Double? {
    exposition.split(separator: "\n").lazy
        .compactMap { line -> Double? in
            let parts = line.split(separator: " ")
            return parts.count == 2 && parts[0] == name ? Double(parts[1]) : nil
        }
        .first
}
