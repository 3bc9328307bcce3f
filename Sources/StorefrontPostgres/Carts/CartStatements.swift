import Foundation
import NIOCore
import PostgresNIO
import StorefrontCore

// The cart's hot statements, prepared on each connection the first time they run there. Each is one
// function of migration 0009: one round trip, in the statement's own transaction.

/// `cart_open`: an empty cart homed here.
struct OpenCart: PostgresPreparedStatement {
    static let sql = "SELECT * FROM cart_open($1, $2, $3, $4, $5)"
    typealias Row = (version: Int, createdAt: Date, updatedAt: Date, expiresAt: Date)

    var region: Region
    var id: UUID
    var token: AccessToken
    var lifetimeSeconds: Int64
    var synchronous: Bool

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(region.name)
        bindings.append(id)
        bindings.append(ByteBuffer(bytes: token.digest))
        bindings.append(lifetimeSeconds)
        bindings.append(synchronous)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (version, createdAt, updatedAt, expiresAt) = try row.decode((Int, Date, Date, Date).self)
        return (version, createdAt, updatedAt, expiresAt)
    }
}

/// `cart_view`: the cart with its lines, for its token.
struct ViewCart: PostgresPreparedStatement {
    static let sql = "SELECT * FROM cart_view($1, $2, $3)"
    typealias Row = CartRow

    var region: Region
    var id: UUID
    var token: AccessToken

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(region.name)
        bindings.append(id)
        bindings.append(ByteBuffer(bytes: token.digest))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try CartRow(row)
    }
}

/// `cart_change`: a line set (or removed), answered as `cart_view` does, or refused.
struct ChangeCart: PostgresPreparedStatement {
    static let sql = "SELECT * FROM cart_change($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    typealias Row = CartRow

    var region: Region
    var id: UUID
    var token: AccessToken
    var sku: String
    var quantity: Int32
    var expectedVersion: Int32?
    /// What the cart becomes here if it is homed in a region that is away and must be adopted.
    var adoptee: UUID
    var lifetimeSeconds: Int64
    var maxLines: Int32
    var synchronous: Bool

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 10)
        bindings.append(region.name)
        bindings.append(id)
        bindings.append(ByteBuffer(bytes: token.digest))
        bindings.append(sku)
        bindings.append(quantity)
        bindings.append(expectedVersion)
        bindings.append(adoptee)
        bindings.append(lifetimeSeconds)
        bindings.append(maxLines)
        bindings.append(synchronous)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try CartRow(row)
    }
}

/// One row of a cart as `cart_view` and `cart_change` answer it: a refusal, with every other column nil;
/// or the cart's columns and one line's (all nil for an empty cart).
struct CartRow: Sendable {
    var refusal: Refusal?
    var cart: (id: UUID, home: String, status: String, version: Int, createdAt: Date, updatedAt: Date, expiresAt: Date)?
    var adoptedFrom: UUID?
    var replicaAge: Double?
    var line: CartLine?

    init(_ row: PostgresRow) throws {
        let (
            refusal, id, home, status, version, createdAt, updatedAt, expiresAt, adoptedFrom, replicaAge,
            sku, quantity, productID, productName, colour, euSize, usSize, width, priceAmount, currency, available
        ) = try row.decode(
            (
                Refusal?, UUID?, String?, String?, Int?, Date?, Date?, Date?, UUID?, Double?,
                String?, Int?, UUID?, String?, String?, Int16?, Int16?, String?, Int64?, String?, Int?
            ).self
        )
        self.refusal = refusal
        if let id, let home, let status, let version, let createdAt, let updatedAt, let expiresAt {
            cart = (id, home, status, version, createdAt, updatedAt, expiresAt)
        }
        self.adoptedFrom = adoptedFrom
        self.replicaAge = replicaAge
        if let sku, let quantity, let productID, let productName, let colour, let euSize, let usSize, let width, let priceAmount,
            let currency, let available
        {
            line = try CartLine((sku, quantity, productID, productName, colour, euSize, usSize, width, priceAmount, currency), available: available)
        }
    }
}

extension Cart {
    /// The cart `rows` describe, or nil when there are none (no such cart for this token). Throws a refusal's
    /// error, and for a value this binary does not know.
    init?(_ rows: [CartRow]) throws {
        guard let first = rows.first else { return nil }
        if let refusal = first.refusal { throw try refusal.error() }
        guard let cart = first.cart else { throw UnreadableStoredValue(what: "a cart row without its cart's columns") }
        self.init(
            id: cart.id,
            region: try Region(cart.home),
            status: try known(Cart.Status.init(rawValue:), cart.status, in: "carts.status"),
            version: cart.version,
            lines: rows.compactMap(\.line),
            createdAt: cart.createdAt,
            updatedAt: cart.updatedAt,
            expiresAt: cart.expiresAt,
            adoptedFrom: first.adoptedFrom,
            replicaAge: first.replicaAge
        )
    }
}
