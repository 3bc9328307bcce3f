import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// The serving region's stock allocations, transfers between regions, and catalog prices.
public struct PostgresStockStore: StockStore {
    let client: PostgresClient
    let region: Region
    let catalogHome: Region
    let logger: Logger

    public init(client: PostgresClient, region: Region, catalogHome: Region, logger: Logger) {
        self.client = client
        self.region = region
        self.catalogHome = catalogHome
        self.logger = logger
    }

    public func setAvailable(_ available: Int, sku: String) async throws {
        let written = try await client.rows(
            """
            INSERT INTO stock (region, sku, available)
            SELECT \(region.name), v.sku, \(Int32(available)) FROM variants v WHERE v.sku = \(sku)
            ON CONFLICT (region, sku) DO UPDATE SET available = EXCLUDED.available
            RETURNING 1
            """,
            logger: logger
        )
        guard !written.isEmpty else { throw StorefrontError.unknownSKU(sku) }
    }

    public func setPrice(_ price: Money, sku: String) async throws {
        guard region == catalogHome else { throw StorefrontError.homedElsewhere(resource: "catalog", home: catalogHome) }
        let written = try await client.rows(
            "UPDATE variants SET price_amount = \(price.amount), currency = \(price.currency.code) WHERE sku = \(sku) RETURNING 1",
            logger: logger
        )
        guard !written.isEmpty else { throw StorefrontError.unknownSKU(sku) }
    }

    /// Step one of two, in the source region: the units leave this allocation and the record of their
    /// transfer is written in the same transaction, so they are never in both places nor in neither.
    public func transfer(sku: String, quantity: Int, to destination: Region, idempotencyKey: String) async throws -> StockTransfer {
        guard destination != region else { throw StorefrontError.invalid("to", "must be another region than the source") }
        if let earlier = try await transfer(idempotencyKey: idempotencyKey) {
            return try Self.replay(earlier, sku: sku, quantity: quantity, to: destination)
        }
        do {
            return try await send(sku: sku, quantity: quantity, to: destination, idempotencyKey: idempotencyKey)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            // The same key sent at the same moment: the other request's transfer stands.
            guard let earlier = try await transfer(idempotencyKey: idempotencyKey) else { throw error }
            return try Self.replay(earlier, sku: sku, quantity: quantity, to: destination)
        }
    }

    private static func replay(_ earlier: StockTransfer, sku: String, quantity: Int, to destination: Region) throws -> StockTransfer {
        guard earlier.sku == sku, earlier.quantity == quantity, earlier.to == destination else { throw StorefrontError.idempotencyKeyReused }
        return earlier
    }

    private func transfer(idempotencyKey: String) async throws -> StockTransfer? {
        let rows = try await client.rows(
            "SELECT id FROM stock_transfers WHERE region = \(region.name) AND idempotency_key = \(idempotencyKey)",
            logger: logger
        )
        guard let id = try rows.first?.decode(UUID.self) else { return nil }
        return try await transfer(id)
    }

    private func send(sku: String, quantity: Int, to destination: Region, idempotencyKey: String) async throws -> StockTransfer {
        try await client.transaction(logger: logger) { connection in
            // Units sent to a region that never replicated with this one would be stranded for good: a region
            // exists here once its heartbeat has arrived.
            guard try await !connection.rows("SELECT 1 FROM heartbeats WHERE region = \(destination.name)", logger: logger).isEmpty else {
                throw StorefrontError.invalid("to", "is not a region this one replicates with")
            }
            let left = try await connection.rows(
                """
                UPDATE stock SET available = available - \(Int32(quantity))
                WHERE region = \(region.name) AND sku = \(sku) AND available >= \(Int32(quantity))
                RETURNING available
                """,
                logger: logger
            )
            if left.isEmpty {
                let rows = try await connection.rows(
                    "SELECT available FROM stock WHERE region = \(region.name) AND sku = \(sku)",
                    logger: logger
                )
                guard let row = rows.first else { throw StorefrontError.unknownSKU(sku) }
                let available = Int(try row.decode(Int32.self))
                throw StorefrontError.outOfStock([StockShortage(sku: sku, requested: quantity, available: available)])
            }
            let id = UUID()
            let createdAt = try await connection.rows(
                """
                INSERT INTO stock_transfers (region, id, sku, to_region, quantity, idempotency_key)
                VALUES (\(region.name), \(id), \(sku), \(destination.name), \(Int32(quantity)), \(idempotencyKey))
                RETURNING created_at
                """,
                logger: logger
            ).onlyRow(of: "INSERT INTO stock_transfers … RETURNING created_at").decode(Date.self)
            return StockTransfer(id: id, sku: sku, from: region, to: destination, quantity: quantity, createdAt: createdAt, receivedAt: nil)
        }
    }

    public func transfer(_ id: UUID) async throws -> StockTransfer? {
        let rows = try await client.rows(
            """
            SELECT t.sku, t.region, t.to_region, t.quantity, t.created_at, r.received_at
            FROM stock_transfers t LEFT JOIN stock_transfer_receipts r ON r.region = t.to_region AND r.transfer_id = t.id
            WHERE t.id = \(id)
            """,
            logger: logger
        )
        guard let row = rows.first else { return nil }
        let (sku, from, to, quantity, createdAt, receivedAt) = try row.decode((String, String, String, Int32, Date, Date?).self)
        return StockTransfer(
            id: id,
            sku: sku,
            from: try Region(from),
            to: try Region(to),
            quantity: Int(quantity),
            createdAt: createdAt,
            receivedAt: receivedAt
        )
    }

    /// Step two, in the destination region. The receipt's primary key makes the credit happen once, even if
    /// two receivers race or the region restarts half-way: the receipt and the credit commit together.
    public func receiveTransfers() async throws -> Int {
        var pending: [(id: UUID, sku: String, quantity: Int32)] = []
        for (id, sku, quantity) in try await client.rows(
            """
            SELECT t.id, t.sku, t.quantity FROM stock_transfers t
            WHERE t.to_region = \(region.name)
              AND NOT EXISTS (SELECT 1 FROM stock_transfer_receipts r WHERE r.region = \(region.name) AND r.transfer_id = t.id)
            ORDER BY t.created_at
            LIMIT 100
            """,
            logger: logger
        ).decode((UUID, String, Int32).self) {
            pending.append((id, sku, quantity))
        }
        var received = 0
        for transfer in pending {
            // One credit that cannot be made yet (its variant has not replicated here) must not hold up the
            // transfers behind it: it is retried next round.
            let credited: Bool
            do {
                credited = try await client.transaction(logger: logger) { connection in
                    let claimed = try await connection.rows(
                        """
                        INSERT INTO stock_transfer_receipts (region, transfer_id) VALUES (\(region.name), \(transfer.id))
                        ON CONFLICT DO NOTHING RETURNING 1
                        """,
                        logger: logger
                    )
                    guard !claimed.isEmpty else { return false }
                    try await connection.run(
                        """
                        INSERT INTO stock (region, sku, available) VALUES (\(region.name), \(transfer.sku), \(transfer.quantity))
                        ON CONFLICT (region, sku) DO UPDATE SET available = stock.available + EXCLUDED.available
                        """,
                        logger: logger
                    )
                    return true
                }
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
                logger.warning(
                    "a stock transfer waits for its variant to arrive",
                    metadata: ["transfer": "\(transfer.id)", "sku": "\(transfer.sku)"]
                )
                continue
            }
            if credited {
                received += 1
                logger.info(
                    "received a stock transfer",
                    metadata: ["transfer": "\(transfer.id)", "sku": "\(transfer.sku)", "quantity": "\(transfer.quantity)"]
                )
            }
        }
        return received
    }
}
