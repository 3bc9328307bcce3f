import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// Carts in PostgreSQL, each call one prepared statement (`CartStatements`). A change locks the cart's row
/// first, so concurrent changes to one cart apply one after the other and none is lost.
public struct PostgresCartStore: CartStore {
    let client: PostgresClient
    let region: Region
    /// How long a cart lives without a change.
    let idleLifetime: Duration
    /// Whether a cart's changes wait for their commit to be flushed (docs/durability.md).
    let synchronousCommit: Bool
    let logger: Logger

    public init(client: PostgresClient, region: Region, idleLifetime: Duration, synchronousCommit: Bool, logger: Logger) {
        self.client = client
        self.region = region
        self.idleLifetime = idleLifetime
        self.synchronousCommit = synchronousCommit
        self.logger = logger
    }

    private var lifetimeSeconds: Int64 { idleLifetime.components.seconds }

    public func open(token: AccessToken) async throws -> Cart {
        let id = UUID.homed(in: region)
        let opened = try await client.rows(
            OpenCart(region: region, id: id, token: token, lifetimeSeconds: lifetimeSeconds, synchronous: synchronousCommit),
            logger: logger
        )
        guard let cart = opened.first else { throw UnreadableStoredValue(what: "cart_open returned no row") }
        return Cart(
            id: id,
            region: region,
            status: .open,
            version: cart.version,
            lines: [],
            createdAt: cart.createdAt,
            updatedAt: cart.updatedAt,
            expiresAt: cart.expiresAt
        )
    }

    public func cart(_ id: UUID, token: AccessToken) async throws -> Cart {
        guard let cart = try Cart(try await client.rows(ViewCart(region: region, id: id, token: token), logger: logger)) else {
            throw StorefrontError.notFound(resource: "cart")
        }
        return cart
    }

    public func setQuantity(_ quantity: Int, sku: String, cart id: UUID, token: AccessToken, expectedVersion: Int?) async throws -> Cart {
        try Cart.validate(quantity: quantity)
        let change = ChangeCart(
            region: region,
            id: id,
            token: token,
            sku: sku,
            quantity: Int32(quantity),
            expectedVersion: expectedVersion.map { Int32(clamping: $0) },
            adoptee: UUID.homed(in: region),
            lifetimeSeconds: lifetimeSeconds,
            maxLines: Int32(Cart.maxLines),
            synchronous: synchronousCommit
        )
        guard let cart = try Cart(try await client.rows(change, logger: logger)) else {
            throw UnreadableStoredValue(what: "cart_change returned no row")
        }
        if cart.id == change.adoptee {
            logger.info("adopted a cart from a region that is away", metadata: ["cart": "\(id)", "adoptee": "\(cart.id)"])
        }
        return cart
    }
}
