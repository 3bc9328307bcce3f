import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// Finds checkouts that became more than one order across regions and resolves them the same way in every
/// region: the earliest order (by creation time, then region name, then id) stands; each later one is
/// cancelled by its own region, its units given back to that region's stock once, and marked with the order
/// that stands.
///
/// Such twins arise only when a region adopted a cart whose home was away (or unreachable) and both placed
/// an order for it. Each region acts only on its own orders, as only it may write them, and only on what its
/// replica shows: a decision never needs undoing, because seeing more orders can only reveal an earlier one,
/// which supersedes the same orders and more.
public struct OrderReconciler: Sendable {
    let client: PostgresClient
    let region: Region
    let logger: Logger

    public init(client: PostgresClient, region: Region, logger: Logger) {
        self.client = client
        self.region = region
        self.logger = logger
    }

    /// One pass: supersedes every order of this region that an earlier twin outranks.
    public func reconcile() async throws -> [OrderReconciliation] {
        let superseded = try await client.rows(
            """
            WITH roots AS (SELECT DISTINCT cart_root FROM orders WHERE cart_root <> cart_id),
            twins AS (
                SELECT o.region, o.id, o.superseded_by,
                       first_value(o.id) OVER checkout AS standing_id, first_value(o.region) OVER checkout AS standing_region
                FROM orders o JOIN roots r ON o.cart_root = r.cart_root
                WINDOW checkout AS (PARTITION BY o.cart_root ORDER BY o.created_at, o.region, o.id)
            )
            SELECT id, standing_id, standing_region FROM twins
            WHERE region = \(region.name) AND id <> standing_id AND superseded_by IS NULL
            """,
            logger: logger
        ).decode((UUID, UUID, String).self)
        var done: [OrderReconciliation] = []
        for (id, standing, standingRegion) in superseded {
            let standing = OrderReference(id: standing, region: try Region(standingRegion))
            if let reconciliation = try await supersede(id, by: standing) { done.append(reconciliation) }
        }
        return done
    }

    private func supersede(_ id: UUID, by standing: OrderReference) async throws -> OrderReconciliation? {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.rows(
                "SELECT status, superseded_by FROM orders WHERE region = \(region.name) AND id = \(id) FOR UPDATE",
                logger: logger
            )
            guard let (statusText, already) = try rows.first?.decode((String, UUID?).self), already == nil else { return nil }
            let status = try known(OrderStatus.init(rawValue:), statusText, in: "orders.status")
            // A shipped duplicate cannot be cancelled here: it is marked, counted and left to an operator.
            let next = status.applying(.cancel) ?? status
            let reconciledAt = try await connection.rows(
                """
                UPDATE orders SET status = \(next.rawValue), superseded_by = \(standing.id),
                    superseded_by_region = \(standing.region.name), reconciled_at = now()
                WHERE region = \(region.name) AND id = \(id)
                RETURNING reconciled_at
                """,
                logger: logger
            ).onlyRow(of: "UPDATE orders … RETURNING reconciled_at").decode(Date.self)
            if next != status { try await PostgresOrderStore.restoreStock(of: id, region: region, connection, logger: logger) }
            return OrderReconciliation(
                order: OrderReference(id: id, region: region),
                standing: standing,
                status: next,
                reconciledAt: reconciledAt
            )
        }
    }
}
