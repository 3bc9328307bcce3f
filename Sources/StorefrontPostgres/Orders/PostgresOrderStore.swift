import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// Orders in PostgreSQL: reading them here; checkout (`+checkout`) and what happens to an order after
/// (`+events`) in files of their own.
public struct PostgresOrderStore: OrderStore {
    let client: PostgresClient
    let region: Region
    /// The idle lifetime of carts this store adopts from regions that are away.
    let cartLifetime: Duration
    let logger: Logger

    public init(client: PostgresClient, region: Region, cartLifetime: Duration, logger: Logger) {
        self.client = client
        self.region = region
        self.cartLifetime = cartLifetime
        self.logger = logger
    }

    public func order(_ id: UUID, token: AccessToken) async throws -> Order {
        guard let order = try await client.rows(ViewOrders(region: region, ids: [id], token: token), logger: logger).orders.first else {
            throw StorefrontError.notFound(resource: "order")
        }
        return order
    }

    public func reconciliations(limit: Int) async throws -> [OrderReconciliation] {
        var reconciliations: [OrderReconciliation] = []
        for (id, home, standing, standingRegion, status, at) in try await client.rows(
            """
            SELECT id, region, superseded_by, superseded_by_region, status, reconciled_at FROM orders
            WHERE reconciled_at IS NOT NULL ORDER BY reconciled_at DESC LIMIT \(limit)
            """,
            logger: logger
        ).decode((UUID, String, UUID, String, String, Date).self) {
            reconciliations.append(
                OrderReconciliation(
                    order: OrderReference(id: id, region: try Region(home)),
                    standing: OrderReference(id: standing, region: try Region(standingRegion)),
                    status: try known(OrderStatus.init(rawValue:), status, in: "orders.status"),
                    reconciledAt: at
                )
            )
        }
        return reconciliations
    }

    public func orders(status: OrderStatus?, after: PageCursor?, limit: Int) async throws -> [(order: Order, position: PageCursor)] {
        try await client.withOpenConnection { connection in
            var positions: [PageCursor] = []
            for (id, micros) in try await connection.rows(
                """
                SELECT id, (extract(epoch FROM created_at) * 1000000)::int8 FROM orders
                WHERE region = \(region.name) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                  AND (\(after?.id)::uuid IS NULL
                       OR (created_at, id) < ('epoch'::timestamptz + \(after?.sortKey) * interval '1 microsecond', \(after?.id)))
                ORDER BY created_at DESC, id DESC
                LIMIT \(limit)
                """,
                logger: logger
            ).decode((UUID, Int64).self) {
                positions.append(PageCursor(sortKey: micros, id: id))
            }
            let orders = try await connection.rows(ViewOrders(region: region, ids: positions.map(\.id), token: nil), logger: logger).orders
            return zip(orders, positions).map { (order: $0, position: $1) }
        }
    }
}
