import Foundation
import Logging
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// A database of its own for one test, copied from a template that is migrated and seeded once per run.
///
/// The server comes from `scripts/test` (STOREFRONT_TEST_OWNER_URL, STOREFRONT_TEST_APP_URL): a real
/// PostgreSQL 15, never a stand-in.
struct TestDatabase: Sendable {
    /// The schema owner's connection: DDL, seeding, and the test's own direct reads and writes.
    let ownerURL: DatabaseURL
    /// The serving role's connection, as the app uses it.
    let appURL: DatabaseURL

    static let seededProducts = 60
    static let region = try! Region("us-east")
    static let logger = Logger(label: "test")

    static func server() throws -> (owner: DatabaseURL, app: DatabaseURL) {
        let environment = ProcessInfo.processInfo.environment
        guard let owner = environment["STOREFRONT_TEST_OWNER_URL"], let app = environment["STOREFRONT_TEST_APP_URL"] else {
            throw TestSetupError("STOREFRONT_TEST_OWNER_URL and STOREFRONT_TEST_APP_URL are not set: run the tests with scripts/test")
        }
        return (try DatabaseURL(owner), try DatabaseURL(app))
    }

    /// The template, made once per test process under a name of its own, so runs never share one.
    static let template = Task<String, any Error> {
        let (owner, _) = try server()
        let name = "sf_template_\(UInt32.random(in: 0...UInt32.max))"
        try await administrator.value.run("CREATE DATABASE \(unescaped: name)", logger: logger)
        try await PostgresClient.withRunning(owner.with(database: name), logger: logger, maximumConnections: 1) { client in
            let migrator = try Migrator(migrations: try Migration.bundled(), appRole: "storefront", logger: logger)
            try await migrator.migrate(client)
            try await CatalogSeeder(client: client, logger: logger).seed(products: seededProducts, stockRegion: region)
        }
        return name
    }

    /// The owner's client that creates and drops every test's database, for the whole process. Its two
    /// connections queue the tests that start together: with a client each, a hundred backends copied the
    /// template at once on two cores, and new connections anywhere missed their 3 s to start (CI of f47ff19
    /// failed QueryGuardTests on it).
    static let administrator = Task<PostgresClient, any Error> {
        let (owner, _) = try server()
        let client = PostgresClient(configuration: owner.clientConfiguration(maximumConnections: 2), backgroundLogger: logger)
        // Never cancelled: it serves until the test process exits.
        Task { await client.run() }
        return client
    }

    /// Runs `body` with a fresh copy of the seeded template, dropped afterwards.
    static func withDatabase<Result: Sendable>(_ body: @Sendable (TestDatabase) async throws -> Result) async throws -> Result {
        let (owner, app) = try server()
        let template = try await template.value
        let administrator = try await administrator.value
        let name = "sf_test_\(UInt32.random(in: 0...UInt32.max))"
        // A template may still show the backend of a client that just closed; PostgreSQL then says 55006.
        for attempt in 1... {
            do {
                try await administrator.run("CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: template)", logger: logger)
                break
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 50 {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let database = TestDatabase(ownerURL: owner.with(database: name), appURL: app.with(database: name))
        let result = try await body(database)
        try? await administrator.run("DROP DATABASE IF EXISTS \(unescaped: name)", logger: logger)
        return result
    }

    /// Runs `body` with a running client of the schema owner.
    @discardableResult
    func asOwner<Result: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> Result) async throws -> Result {
        try await PostgresClient.withRunning(ownerURL, logger: Self.logger, body)
    }

    /// Runs `body` with a running client of the serving role.
    @discardableResult
    func asApp<Result: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> Result) async throws -> Result {
        try await PostgresClient.withRunning(appURL, logger: Self.logger, body)
    }
}

extension PostgresClient {
    /// The first column of the first row, for a test's direct look at the database.
    func scalar<Value: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: Value.Type = Value.self) async throws -> Value {
        guard let row = try await self.rows(query).first else { throw TestSetupError("no row for \(query.sql)") }
        return try row.decode(Value.self)
    }
}
