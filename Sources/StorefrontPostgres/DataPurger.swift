import Logging
import PostgresNIO
import StorefrontCore

/// Deletes this region's own rows that nobody will read again, so that anonymous shoppers — or a script
/// opening carts — cannot fill every region's disk: the deletes replicate, so each region purges only its
/// own rows and the others follow.
///
/// In batches, each its own short transaction that skips rows a request holds, with a pause between
/// batches, so a purge never queues shoppers behind it.
public struct DataPurger: Sendable {
    public struct Retention: Sendable, Equatable {
        /// An open cart this long past its expiry is abandoned (an expired cart already takes no changes).
        public var abandonedCartGrace: Duration = .seconds(7 * 86_400)
        /// A retry comes within minutes; a day covers any client's retry policy.
        public var idempotencyKeys: Duration = .seconds(86_400)
        /// A transfer and its receipt, once received, are kept for audit this long.
        public var transfers: Duration = .seconds(30 * 86_400)
        public var batchSize = 500
        public init() {}
    }

    public enum Table: String, Sendable, CaseIterable {
        case carts
        case idempotencyKeys = "idempotency_keys"
        case stockTransfers = "stock_transfers"
        case stockTransferReceipts = "stock_transfer_receipts"
    }

    let client: PostgresClient
    let region: Region
    let retention: Retention
    let logger: Logger
    /// At most this many batches a table per round: the next round goes on.
    static let batchesPerRound = 200

    public init(client: PostgresClient, region: Region, retention: Retention = .init(), logger: Logger) {
        self.client = client
        self.region = region
        self.retention = retention
        self.logger = logger
    }

    /// One round over every table; returns how many rows each lost.
    public func purge() async throws -> [Table: Int] {
        var purged: [Table: Int] = [:]
        for table in Table.allCases {
            var total = 0
            for _ in 0..<Self.batchesPerRound {
                let deleted = try await batch(table)
                total += deleted
                if deleted < retention.batchSize { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            purged[table] = total
            if total > 0 { logger.info("purged rows past their retention", metadata: ["table": "\(table.rawValue)", "rows": "\(total)"]) }
        }
        return purged
    }

    private func batch(_ table: Table) async throws -> Int {
        let limit = retention.batchSize
        switch table {
        case .carts:
            // A cart's lines go with it, in the same statement, so that the foreign key holds at its end.
            return try await client.rows(
                """
                WITH doomed AS (
                    SELECT id FROM carts
                    WHERE region = \(region.name) AND status = 'open'
                      AND expires_at < now() - \(retention.abandonedCartGrace.components.seconds) * interval '1 second'
                    ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                ), lines AS (
                    DELETE FROM cart_items i USING doomed d WHERE i.region = \(region.name) AND i.cart_id = d.id
                )
                DELETE FROM carts c USING doomed d WHERE c.region = \(region.name) AND c.id = d.id RETURNING 1
                """,
                logger: logger
            ).count
        case .idempotencyKeys:
            return try await client.rows(
                """
                DELETE FROM idempotency_keys WHERE region = \(region.name) AND key IN (
                    SELECT key FROM idempotency_keys
                    WHERE region = \(region.name) AND claimed_at < now() - \(retention.idempotencyKeys.components.seconds) * interval '1 second'
                    LIMIT \(limit) FOR UPDATE SKIP LOCKED
                ) RETURNING 1
                """,
                logger: logger
            ).count
        case .stockTransfers:
            // Only a transfer its destination has received: the receipt, replicated here, says so.
            return try await client.rows(
                """
                DELETE FROM stock_transfers WHERE region = \(region.name) AND id IN (
                    SELECT t.id FROM stock_transfers t
                    JOIN stock_transfer_receipts r ON r.region = t.to_region AND r.transfer_id = t.id
                    WHERE t.region = \(region.name) AND r.received_at < now() - \(retention.transfers.components.seconds) * interval '1 second'
                    LIMIT \(limit) FOR UPDATE OF t SKIP LOCKED
                ) RETURNING 1
                """,
                logger: logger
            ).count
        case .stockTransferReceipts:
            // Only once its transfer is gone: a receipt deleted while its transfer remains would credit it again.
            return try await client.rows(
                """
                DELETE FROM stock_transfer_receipts WHERE region = \(region.name) AND transfer_id IN (
                    SELECT r.transfer_id FROM stock_transfer_receipts r
                    WHERE r.region = \(region.name) AND r.received_at < now() - \(retention.transfers.components.seconds) * interval '1 second'
                      AND NOT EXISTS (SELECT 1 FROM stock_transfers t WHERE t.id = r.transfer_id)
                    LIMIT \(limit) FOR UPDATE OF r SKIP LOCKED
                ) RETURNING 1
                """,
                logger: logger
            ).count
        }
    }
}
