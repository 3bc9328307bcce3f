import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// The region's drain in its database. Every change raises the row's version and is announced on `channel`
/// in the same statement, so an instance that hears it reads the change.
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

    public func drain(_ drain: Drain) async throws -> VersionedDrain {
        try await change(to: drain)
    }

    public func lift() async throws -> VersionedDrain {
        try await change(to: nil)
    }

    private func change(to drain: Drain?) async throws -> VersionedDrain {
        let rows = try await client.rows(
            """
            WITH saved AS (
                INSERT INTO region_drains AS d (region, version, reason, requested_by, since, until)
                VALUES (\(region.name), 1, \(drain?.reason), \(drain?.requestedBy), \(drain?.since), \(drain?.until))
                ON CONFLICT (region) DO UPDATE
                SET version = d.version + 1, reason = EXCLUDED.reason, requested_by = EXCLUDED.requested_by,
                    since = EXCLUDED.since, until = EXCLUDED.until
                RETURNING region, version
            )
            SELECT version, pg_notify(\(Self.channel), region) IS NULL FROM saved
            """,
            logger: logger
        )
        guard let (version, _) = try rows.first?.decode((Int64, Bool).self) else { throw ConnectionClosed() }
        return VersionedDrain(drain: drain, version: version)
    }

    /// The region's drain as `connection` reads it now (version 0 when none was ever set).
    static func current(of region: Region, on connection: PostgresConnection, logger: Logger) async throws -> VersionedDrain {
        let rows = try await connection.rows(
            "SELECT version, reason, requested_by, since, until FROM region_drains WHERE region = \(region.name)",
            logger: logger
        )
        guard let (version, reason, requestedBy, since, until) = try rows.first?.decode((Int64, String?, String?, Date?, Date?).self)
        else { return VersionedDrain(drain: nil, version: 0) }
        guard let reason, let requestedBy, let since else { return VersionedDrain(drain: nil, version: version) }
        return VersionedDrain(drain: Drain(reason: reason, requestedBy: requestedBy, since: since, until: until), version: version)
    }
}
