import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import StorefrontApp
import StorefrontCore
import StorefrontHealth
import StorefrontPostgres
import Synchronization
import Testing

/// The app exactly as `storefront serve` builds it, against a test database, with fast background loops.
func withTestApp<Result: Sendable>(
    _ database: TestDatabase, environment extra: [String: String] = [:], logger: Logger? = nil, health: HealthMonitor? = nil,
    _ test: @Sendable (any TestClientProtocol) async throws -> Result
) async throws -> Result {
    var environment = appEnvironment(database)
    environment.merge(extra) { $1 }
    let configuration = try AppConfiguration(environment: environment)
    let logger = logger ?? {
        var logger = Logger(label: "storefront-test")
        logger.logLevel = .error
        return logger
    }()
    let app = try buildApplication(configuration, health: health, logger: logger)
    let watchdog = ShutdownWatchdog()
    defer { watchdog.cancel() }
    return try await app.test(.router) { client in
        try await waitUntilReady(client)
        let result = try await test(client)
        watchdog.start()
        return result
    }
}

/// Says so on standard error when an app under test takes more than 20 s to shut down, naming the test:
/// a hang there would otherwise show only as a test run that never ends.
final class ShutdownWatchdog: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    func start() {
        let name = Test.current?.name ?? "a test"
        task.withLock {
            $0 = Task {
                guard (try? await Task.sleep(for: .seconds(20))) != nil else { return }
                FileHandle.standardError.write(Data("the app of \(name) is still shutting down after 20 s\n".utf8))
            }
        }
    }

    func cancel() { task.withLock { $0?.cancel() } }
}

/// The app's environment for a test database, with fast background loops.
func appEnvironment(_ database: TestDatabase) -> [String: String] {
    [
        "STOREFRONT_REGION": TestDatabase.region.name,
        "STOREFRONT_DATABASE_URL": urlString(database.appURL),
        "STOREFRONT_MIGRATION_DATABASE_URL": urlString(database.ownerURL),
        "STOREFRONT_CURSOR_SECRET": "test-cursor-secret",
        "STOREFRONT_ADMIN_TOKEN": "test-admin-token-0123456789",
        "STOREFRONT_CATALOG_REFRESH_MS": "100",
        "STOREFRONT_PROBE_INTERVAL_MS": "500",
        // Tests run many apps and three clusters at once on two cores: lock waits can be long.
        "STOREFRONT_DB_STATEMENT_TIMEOUT_MS": "30000",
        "STOREFRONT_DB_MAX_CONNECTIONS": "10",
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

extension TestClientProtocol {
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers, body: nil)
    }
}

extension TestResponse {
    /// The body as JSON, for assertions.
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            throw TestSetupError("body is not a JSON object: \(String(buffer: body))")
        }
        return object
    }
}
