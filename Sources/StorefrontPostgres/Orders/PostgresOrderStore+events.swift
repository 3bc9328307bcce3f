import Foundation
import Logging
import PostgresNIO
import StorefrontCore

extension PostgresOrderStore {
    public func apply(_ event: OrderEvent, to id: UUID, token: AccessToken?) async throws -> Order {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.rows(
                "SELECT token_digest, status, region FROM orders WHERE id = \(id) FOR UPDATE",
                logger: logger
            )
            guard let row = rows.first else { throw StorefrontError.notFound(resource: "order") }
            let (digest, statusText, home) = try row.decode((ByteBuffer, String, String).self)
            if let token, !constantTimeEquals(digest.readableBytesView, token.digest) {
                throw StorefrontError.notFound(resource: "order")
            }
            guard home == region.name else { throw StorefrontError.homedElsewhere(resource: "order", home: try Region(home)) }
            let status = try known(OrderStatus.init(rawValue:), statusText, in: "orders.status")
            guard let next = status.applying(event) else { throw StorefrontError.illegalTransition(from: status, event: event) }
            try await connection.run(
                "UPDATE orders SET status = \(next.rawValue) WHERE region = \(region.name) AND id = \(id)",
                logger: logger
            )
            if event.restoresStock {
                // The order row is locked and its status changed under that lock: this runs once per order.
                try await Self.restoreStock(of: id, region: region, connection, logger: logger)
            }
            guard let order = try await connection.rows(ViewOrders(region: region, ids: [id], token: nil), logger: logger).orders.first else {
                throw UnreadableStoredValue(what: "order \(id) was changed and then not found")
            }
            return order
        }
    }

    /// Gives a cancelled order's units back to its region's stock. The caller holds the order's row lock and
    /// changed its status under it, so this runs once per order.
    static func restoreStock(of id: UUID, region: Region, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(
            """
            SELECT s.sku FROM stock s JOIN order_lines l ON l.sku = s.sku
            WHERE s.region = \(region.name) AND l.region = \(region.name) AND l.order_id = \(id)
            ORDER BY s.sku FOR UPDATE OF s
            """,
            logger: logger
        )
        try await connection.run(
            """
            UPDATE stock s SET available = s.available + l.quantity FROM order_lines l
            WHERE l.region = \(region.name) AND l.order_id = \(id) AND s.region = \(region.name) AND s.sku = l.sku
            """,
            logger: logger
        )
    }
}
