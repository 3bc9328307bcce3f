import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// One schema change, from `sql/migrations/NNNN_name.sql`.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var sql: String

    /// A digest of the text, so a migration edited after it was applied is noticed.
    public var checksum: String {
        // FNV-1a is enough to notice an edit; nothing here defends against an attacker with DDL rights.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The migrations this binary carries, in version order.
    public static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw StorefrontError.invalidConfiguration("the migrations are missing from the binary's resources")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        let migrations = try files.map { file in
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw StorefrontError.invalidConfiguration("migration file \(file) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            return Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql)
        }.sorted { $0.version < $1.version }
        guard Set(migrations.map(\.version)).count == migrations.count else {
            throw StorefrontError.invalidConfiguration("two migration files share a version number")
        }
        return migrations
    }
}

/// Applies migrations in order, each in its own transaction, and records them in `schema_migrations`.
///
/// It runs as the schema owner; the serving role only gets row privileges, never DDL or TRUNCATE.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    /// The role the server connects as, granted row access to every table.
    public let appRole: String
    let logger: Logger

    public init(migrations: [Migration], appRole: String, logger: Logger) throws(StorefrontError) {
        guard isIdentifier(appRole) else {
            throw .invalidConfiguration("app role '\(appRole)' must be a lowercase SQL identifier")
        }
        self.migrations = migrations
        self.appRole = appRole
        self.logger = logger
    }

    /// Tables the serving role may read but never write: what the schema is, and where the catalog lives.
    static let ownerOnlyTables = ["schema_migrations", "catalog_home"]

    /// The advisory lock a migration holds for its transaction.
    public static let lockKey: Int64 = 7_140_001

    /// Applies what is pending and returns the versions it applied.
    @discardableResult
    public func migrate(_ client: PostgresClient) async throws -> [Int] {
        try await client.run(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
        var applied: [Int] = []
        for migration in migrations {
            let didApply = try await client.transaction(logger: logger) { connection in
                // One migrator at a time per database: a second `storefront serve` starting now waits here.
                try await connection.run("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                try await verify(try await appliedMigrations(connection))
                let done = try await connection.rows(
                    "SELECT 1 FROM schema_migrations WHERE version = \(migration.version)",
                    logger: logger
                )
                guard done.isEmpty else { return false }
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.run(
                    """
                    INSERT INTO schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """,
                    logger: logger
                )
                return true
            }
            if didApply {
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration.version)
            }
        }
        try await client.run(
            """
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(unescaped: appRole)
            """,
            logger: logger
        )
        try await client.run(
            "REVOKE INSERT, UPDATE, DELETE ON \(unescaped: Self.ownerOnlyTables.joined(separator: ", ")) FROM \(unescaped: appRole)",
            logger: logger
        )
        return applied
    }

    /// Throws unless every migration in the database is one this binary knows, unchanged; `storefront serve
    /// --no-migrate` calls it so an old binary never serves a newer schema it does not understand.
    public func check(_ client: PostgresClient) async throws -> [Int] {
        let pending = try await client.withOpenConnection { connection in
            let applied = try await appliedMigrations(connection)
            try verify(applied)
            return migrations.map(\.version).filter { applied[$0] == nil }
        }
        return pending
    }

    private func appliedMigrations(_ connection: PostgresConnection) async throws -> [Int: String] {
        let exists =
            try await connection.rows("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
            .first?.decode(Bool.self) ?? false
        guard exists else { return [:] }
        var applied: [Int: String] = [:]
        for (version, checksum) in try await connection.rows(
            "SELECT version, checksum FROM schema_migrations",
            logger: logger
        ).decode((Int, String).self) {
            applied[version] = checksum
        }
        return applied
    }

    private func verify(_ applied: [Int: String]) throws(StorefrontError) {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0.checksum) })
        for (version, checksum) in applied.sorted(by: { $0.key < $1.key }) {
            guard let expected = known[version] else {
                throw .schemaMismatch("the database has migration \(version), which this binary does not know: run a newer binary")
            }
            guard expected == checksum else {
                throw .schemaMismatch("migration \(version) in the database differs from the one in this binary")
            }
        }
    }
}

/// A plain lowercase SQL identifier: safe to place in DDL without quoting.
func isIdentifier(_ text: String) -> Bool {
    guard let first = text.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) || first == UInt8(ascii: "_"),
        text.utf8.count <= 63
    else { return false }
    return text.utf8.allSatisfy { byte in
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_")
    }
}
