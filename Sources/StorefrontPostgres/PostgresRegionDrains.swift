import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// The region's drain in its database. A change is announced on `channel` in the same transaction, so an
/// instance that hears it reads the change.
public struct PostgresRegionDrains: RegionDrains {
    public static let channel = "storefront_region_drain"
    let client: PostgresClient
    let region: Region
    let logger: Logger

    public init(client: PostgresClient, region: Region, logger: Logger) {
        self.client = client
        self.region = region
        self.logger = logger
    }

    public func current() async throws -> Drain? {
        try await client.withOpenConnection { try await Self.current(of: region, on: $0, logger: logger) }
    }

    public func drain(_ drain: Drain) async throws {
        try await client.run(
            """
            WITH saved AS (
                INSERT INTO region_drains (region, reason, requested_by, since, until)
                VALUES (\(region.name), \(drain.reason), \(drain.requestedBy), \(drain.since), \(drain.until))
                ON CONFLICT (region) DO UPDATE
                SET reason = EXCLUDED.reason, requested_by = EXCLUDED.requested_by, since = EXCLUDED.since, until = EXCLUDED.until
                RETURNING region
            )
            SELECT pg_notify(\(Self.channel), region) FROM saved
            """,
            logger: logger
        )
    }

    public func lift() async throws -> Drain? {
        let rows = try await client.rows(
            """
            WITH lifted AS (DELETE FROM region_drains WHERE region = \(region.name) RETURNING *)
            SELECT reason, requested_by, since, until, pg_notify(\(Self.channel), region) IS NULL FROM lifted
            """,
            logger: logger
        )
        return try rows.first.map { try Self.drain($0) }
    }

    /// The region's drain as `connection` reads it now; an expired one is none.
    static func current(of region: Region, on connection: PostgresConnection, logger: Logger) async throws -> Drain? {
        let rows = try await connection.rows(
            "SELECT reason, requested_by, since, until, false FROM region_drains WHERE region = \(region.name)",
            logger: logger
        )
        return try rows.first.map { try Self.drain($0) }.flatMap { $0.isActive(at: Date()) ? $0 : nil }
    }

    private static func drain(_ row: PostgresRow) throws -> Drain {
        let (reason, requestedBy, since, until, _) = try row.decode((String, String, Date, Date?, Bool).self)
        return Drain(reason: reason, requestedBy: requestedBy, since: since, until: until)
    }
}
