import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// Reads the replication state over one connection: the serving role's for the health prober, the
/// superuser's for `storefront replication status`.
public struct ReplicationInspector: Sendable {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func report(_ connection: PostgresConnection) async throws -> ReplicationReport {
        let subscriptions = try await subscriptions(connection)
        let heartbeatAge = try await heartbeatAges(connection)
        var slots: [ReplicationReport.Slot] = []
        for (name, active, walStatus, safe) in try await connection.rows(
            """
            SELECT slot_name::text, active, wal_status, safe_wal_size FROM pg_replication_slots
            WHERE database = current_database() ORDER BY slot_name
            """,
            logger: logger
        ).decode((String, Bool, String?, Int64?).self) {
            slots.append(.init(name: name, active: active, walStatus: walStatus, safeWALBytes: safe))
        }
        return ReplicationReport(subscriptions: subscriptions, heartbeatAge: heartbeatAge, slots: slots)
    }

    /// Each subscription of this database and the state of its apply worker; readable by the serving role.
    public func subscriptions(_ connection: PostgresConnection) async throws -> [ReplicationReport.Subscription] {
        var subscriptions: [ReplicationReport.Subscription] = []
        let rows = try await connection.rows(
            """
            SELECT s.subname::text, s.subenabled, st.pid IS NOT NULL, st.received_lsn::text, st.latest_end_lsn::text,
                   st.last_msg_receipt_time, coalesce(ss.apply_error_count, 0), coalesce(ss.sync_error_count, 0)
            FROM pg_subscription s
            LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL
            LEFT JOIN pg_stat_subscription_stats ss ON ss.subid = s.oid
            WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            ORDER BY s.subname
            """,
            logger: logger
        )
        for row in rows {
            let (name, enabled, workerRunning, receivedLSN, latestEndLSN, lastMessageAt, applyErrors, syncErrors) = try row.decode(
                (String, Bool, Bool, String?, String?, Date?, Int, Int).self
            )
            subscriptions.append(
                .init(
                    name: name,
                    enabled: enabled,
                    workerRunning: workerRunning,
                    receivedLSN: receivedLSN,
                    latestEndLSN: latestEndLSN,
                    lastMessageAt: lastMessageAt,
                    applyErrors: applyErrors,
                    syncErrors: syncErrors
                )
            )
        }
        return subscriptions
    }

    /// Seconds since each region's latest heartbeat as this database has it; readable by the serving role.
    public func heartbeatAges(_ connection: PostgresConnection) async throws -> [String: Double] {
        var ages: [String: Double] = [:]
        for (region, age) in try await connection.rows(
            "SELECT region, extract(epoch FROM now() - beat_at)::float8 FROM heartbeats",
            logger: logger
        ).decode((String, Double).self) {
            ages[region] = age
        }
        return ages
    }
}
