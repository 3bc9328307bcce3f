import Foundation
import Logging
import NIOCore
import PostgresNIO
import StorefrontCore

/// Carts in PostgreSQL. Changes lock the cart row first, so concurrent changes to one cart apply one after
/// the other and none is lost.
public struct PostgresCartStore: CartStore {
    let client: PostgresClient
    let region: Region
    /// How long a cart lives without a change.
    let idleLifetime: Duration
    let logger: Logger

    public init(client: PostgresClient, region: Region, idleLifetime: Duration, logger: Logger) {
        self.client = client
        self.region = region
        self.idleLifetime = idleLifetime
        self.logger = logger
    }

    private var lifetimeSeconds: Int64 { idleLifetime.components.seconds }
    private var resolver: CartResolver { CartResolver(region: region, idleLifetime: idleLifetime, logger: logger) }

    public func open(token: AccessToken) async throws -> Cart {
        let id = UUID.homed(in: region)
        try await client.run(
            """
            INSERT INTO carts (region, id, token_digest, expires_at)
            VALUES (\(region.name), \(id), \(ByteBuffer(bytes: token.digest)), now() + \(lifetimeSeconds) * interval '1 second')
            """,
            logger: logger
        )
        return try await client.withConnection { try await load(id, token: token, $0) }
    }

    public func cart(_ id: UUID, token: AccessToken) async throws -> Cart {
        try await client.withConnection { try await load(id, token: token, $0) }
    }

    public func setQuantity(_ quantity: Int, sku: String, cart id: UUID, token: AccessToken, expectedVersion: Int?) async throws -> Cart {
        guard quantity == 0 || Cart.quantityRange.contains(quantity) else {
            throw StorefrontError.invalid("quantity", "must be 0 (to remove the line) or 1-\(Cart.quantityRange.upperBound)")
        }
        return try await client.transaction(logger: logger) { connection in
            let cart = try await resolver.resolve(id, token: token, connection)
            if let expectedVersion, expectedVersion != cart.version { throw StorefrontError.versionMismatch(current: cart.version) }

            if quantity == 0 {
                try await connection.run(
                    "DELETE FROM cart_items WHERE region = \(region.name) AND cart_id = \(cart.id) AND sku = \(sku)",
                    logger: logger
                )
            } else {
                let written = try await connection.rows(
                    """
                    INSERT INTO cart_items (region, cart_id, sku, quantity)
                    SELECT \(region.name), \(cart.id), v.sku, \(Int32(quantity)) FROM variants v WHERE v.sku = \(sku)
                    ON CONFLICT (region, cart_id, sku) DO UPDATE SET quantity = EXCLUDED.quantity
                    RETURNING 1
                    """,
                    logger: logger
                )
                guard !written.isEmpty else { throw StorefrontError.unknownSKU(sku) }
            }
            let lineCount = try await connection.rows(
                """
                UPDATE carts SET version = version + 1, updated_at = now(),
                    expires_at = now() + \(lifetimeSeconds) * interval '1 second'
                WHERE region = \(region.name) AND id = \(cart.id)
                RETURNING (SELECT count(*) FROM cart_items WHERE region = \(region.name) AND cart_id = \(cart.id))
                """,
                logger: logger
            ).onlyRow(of: "UPDATE carts … RETURNING its line count").decode(Int.self)
            guard lineCount <= Cart.maxLines else { throw StorefrontError.cartFull(limit: Cart.maxLines) }
            return try await load(cart.id, token: token, connection)
        }
    }

    /// The cart with every line priced from the catalog and the serving region's live stock, in one query.
    /// A cart homed elsewhere comes from the replica, with the replica's age.
    private func load(_ id: UUID, token: AccessToken, _ connection: PostgresConnection) async throws -> Cart {
        let rows = try await connection.rows(
            """
            SELECT c.token_digest, c.status, c.version, c.created_at, c.updated_at, c.expires_at,
                   i.sku, i.quantity, v.product_id, p.name, v.colour, v.eu_size_tenths, v.us_size_tenths, v.width,
                   v.price_amount, v.currency, coalesce(s.available, 0),
                   c.region, c.adopted_from,
                   CASE WHEN c.region <> \(region.name) THEN replica_age_seconds(c.region) END
            FROM carts c
            LEFT JOIN cart_items i ON i.region = c.region AND i.cart_id = c.id
            LEFT JOIN variants v ON v.sku = i.sku
            LEFT JOIN products p ON p.id = v.product_id
            LEFT JOIN stock s ON s.region = \(region.name) AND s.sku = i.sku
            WHERE c.id = \(id)
            ORDER BY i.added_at, i.sku
            """,
            logger: logger
        )
        var cart: Cart?
        for row in rows {
            let (
                tokenDigest, status, version, createdAt, updatedAt, expiresAt,
                sku, quantity, productID, productName, colour, euSize, usSize, width, priceAmount, currency, available,
                home, adoptedFrom, replicaAge
            ) = try row.decode(
                (
                    ByteBuffer, String, Int, Date, Date, Date,
                    String?, Int?, UUID?, String?, String?, Int16?, Int16?, String?, Int64?, String?, Int32,
                    String, UUID?, Double?
                ).self
            )
            if cart == nil {
                guard constantTimeEquals(tokenDigest.readableBytesView, token.digest) else { break }
                cart = Cart(
                    id: id,
                    region: try Region(home),
                    status: try known(Cart.Status.init(rawValue:), status, in: "carts.status"),
                    version: version,
                    lines: [],
                    createdAt: createdAt,
                    updatedAt: updatedAt,
                    expiresAt: expiresAt,
                    adoptedFrom: adoptedFrom,
                    replicaAge: replicaAge
                )
            }
            // An empty cart is one row whose line columns are all NULL.
            guard let sku, let quantity, let productID, let productName, let colour, let euSize, let usSize, let width,
                let priceAmount, let currency
            else { continue }
            cart?.lines.append(
                try CartLine(
                    (sku, quantity, productID, productName, colour, euSize, usSize, width, priceAmount, currency),
                    available: Int(available)
                )
            )
        }
        guard let cart else { throw StorefrontError.notFound(resource: "cart") }
        return cart
    }
}
