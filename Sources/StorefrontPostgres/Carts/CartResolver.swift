import Foundation
import Logging
import NIOCore
import PostgresNIO
import StorefrontCore

/// Finds the local cart a change or a checkout must act on, inside the caller's transaction, with that
/// cart's row locked.
///
/// A cart homed here is itself. A cart homed in another region (read from the replica) is adopted: a new
/// local cart copied from the replica, with the same token, linked to the old id — nothing is written into
/// the foreign row. A cart this region adopted earlier resolves to its adoptee; one adopted by a third
/// region is refused with where it went.
struct CartResolver: Sendable {
    let region: Region
    let idleLifetime: Duration
    let logger: Logger

    struct Resolved {
        var id: UUID
        var version: Int
        /// The cart the shopper opened: for an adopted cart, the one it copied. A checkout's orders in
        /// every region share it.
        var root: UUID
    }

    func resolve(_ id: UUID, token: AccessToken, _ connection: PostgresConnection) async throws -> Resolved {
        let rows = try await connection.rows(
            """
            SELECT c.region, c.token_digest, c.status, c.version, c.expires_at < now(), a.region, a.id, coalesce(c.cart_root, c.id)
            FROM carts c
            LEFT JOIN LATERAL (
                SELECT region, id FROM carts WHERE adopted_from = c.id ORDER BY region = \(region.name) DESC, created_at LIMIT 1
            ) a ON true
            WHERE c.id = \(id)
            FOR UPDATE OF c
            """,
            logger: logger
        )
        guard let row = rows.first else { throw StorefrontError.notFound(resource: "cart") }
        let (homeName, tokenDigest, status, version, expired, adopterRegion, adopterCart, root) = try row.decode(
            (String, ByteBuffer, String, Int, Bool, String?, UUID?, UUID).self
        )
        guard constantTimeEquals(tokenDigest.readableBytesView, token.digest) else {
            throw StorefrontError.notFound(resource: "cart")
        }
        let home = try Region(homeName)
        if let adopterRegion, let adopterCart {
            guard adopterRegion == region.name else {
                throw StorefrontError.cartAdopted(region: try Region(adopterRegion), cartID: adopterCart)
            }
            return try await resolve(adopterCart, token: token, connection)
        }
        guard try known(Cart.Status.init(rawValue:), status, in: "carts.status") == .open else { throw StorefrontError.cartClosed }
        guard !expired else { throw StorefrontError.cartExpired }
        guard home != region else { return Resolved(id: id, version: version, root: root) }

        let adoptee = UUID.homed(in: region)
        try await connection.run(
            """
            INSERT INTO carts (region, id, token_digest, status, version, expires_at, adopted_from, adopted_from_region, cart_root)
            SELECT \(region.name), \(adoptee), token_digest, 'open', 1,
                   now() + \(idleLifetime.components.seconds) * interval '1 second', id, region, \(root)
            FROM carts WHERE id = \(id)
            """,
            logger: logger
        )
        try await connection.run(
            """
            INSERT INTO cart_items (region, cart_id, sku, quantity, added_at)
            SELECT \(region.name), \(adoptee), sku, quantity, added_at FROM cart_items WHERE region = \(home.name) AND cart_id = \(id)
            """,
            logger: logger
        )
        logger.info("adopted a cart from a region that is away", metadata: ["cart": "\(id)", "home": "\(home)", "adoptee": "\(adoptee)"])
        // The client's If-Match names the version it read, the foreign one.
        return Resolved(id: adoptee, version: version, root: root)
    }
}
