import Foundation
import NIOCore
import PostgresNIO
import StorefrontCore

// The order's hot statements, prepared on each connection the first time they run there: checkout and the
// order read, each one function of migration 0009.

/// `checkout_place`: claims the key, places the order or refuses, records the outcome; or replays it.
struct PlaceOrder: PostgresPreparedStatement {
    static let sql = "SELECT * FROM checkout_place($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    typealias Row = OrderRow

    var region: Region
    var idempotencyKey: String
    var fingerprint: [UInt8]
    var cartID: UUID
    var cartToken: AccessToken
    var orderID: UUID
    var orderToken: AccessToken
    var email: String
    var address: ShippingAddress
    /// What the cart becomes here if it is homed in a region that is away and must be adopted.
    var adoptee: UUID
    var cartLifetimeSeconds: Int64
    /// Lock and check the stock before writing the order: after a line ran short while it was written.
    var stockFirst = false

    /// What PostgreSQL answers when a line ran short while the order was written: nothing happened.
    static let lineRanShort = "SFS01"

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 12)
        bindings.append(region.name)
        bindings.append(idempotencyKey)
        bindings.append(ByteBuffer(bytes: fingerprint))
        bindings.append(cartID)
        bindings.append(ByteBuffer(bytes: cartToken.digest))
        bindings.append(orderID)
        bindings.append(ByteBuffer(bytes: orderToken.digest))
        bindings.append(email)
        // In checkout_place's order: name, line1, line2 (empty when there is none), city, postal code, country.
        bindings.append([address.name, address.line1, address.line2 ?? "", address.city, address.postalCode, address.country])
        bindings.append(adoptee)
        bindings.append(cartLifetimeSeconds)
        bindings.append(stockFirst)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try OrderRow(row)
    }
}

/// `order_view`: orders with their lines, in the order of their ids; with a token, only one it opens.
struct ViewOrders: PostgresPreparedStatement {
    static let sql = "SELECT * FROM order_view($1, $2, $3)"
    typealias Row = OrderRow

    var region: Region
    var ids: [UUID]
    var token: AccessToken?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(region.name)
        bindings.append(ids)
        bindings.append(token.map { ByteBuffer(bytes: $0.digest) })
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try OrderRow(row)
    }
}

/// One row as `order_view` and `checkout_place` answer: the checkout's outcome columns (nil from
/// `order_view`), and an order's columns with one of its lines (nil when the checkout placed nothing).
struct OrderRow: Sendable {
    var outcome: String?
    var refusal: Refusal?
    var storedAnswer: (status: Int, body: ByteBuffer)?
    var order: Order?

    init(_ row: PostgresRow) throws {
        let (
            outcome, refusal, storedStatus, storedBody,
            id, home, cartID, status, email, name, line1, line2, city, postalCode, country, subtotal, currency, createdAt, updatedAt,
            replicaAge, supersededBy, supersededByRegion,
            sku, productID, productName, colour, euSize, usSize, width, quantity, unitPrice, lineCurrency
        ) = try row.decode(
            (
                String?, Refusal?, Int?, ByteBuffer?,
                UUID?, String?, UUID?, String?, String?, String?, String?, String?, String?, String?, String?, Int64?, String?, Date?,
                Date?, Double?, UUID?, String?,
                String?, UUID?, String?, String?, String?, String?, String?, Int?, Int64?, String?
            ).self
        )
        self.outcome = outcome
        self.refusal = refusal
        if let storedStatus, let storedBody { storedAnswer = (storedStatus, storedBody) }
        guard let id, let home, let cartID, let status, let email, let name, let line1, let city, let postalCode, let country,
            let subtotal, let currency, let createdAt, let updatedAt, let sku, let productID, let productName, let colour, let euSize,
            let usSize, let width, let quantity, let unitPrice, let lineCurrency
        else { return }
        var order = Order(
            id: id,
            region: try Region(home),
            cartID: cartID,
            status: try known(OrderStatus.init(rawValue:), status, in: "orders.status"),
            email: email,
            shippingAddress: ShippingAddress(name: name, line1: line1, line2: line2, city: city, postalCode: postalCode, country: country),
            lines: [
                OrderLine(
                    sku: sku,
                    productID: productID,
                    productName: productName,
                    colour: colour,
                    euSize: euSize,
                    usSize: usSize,
                    width: try known(Width.init(rawValue:), width, in: "order_lines.width"),
                    quantity: quantity,
                    unitPrice: Money(amount: unitPrice, currency: try known(Currency.init, lineCurrency, in: "order_lines.currency"))
                )
            ],
            subtotal: Money(amount: subtotal, currency: try known(Currency.init, currency, in: "orders.currency")),
            createdAt: createdAt,
            updatedAt: updatedAt,
            replicaAge: replicaAge
        )
        if let supersededBy, let supersededByRegion {
            order.supersededBy = OrderReference(id: supersededBy, region: try Region(supersededByRegion))
        }
        self.order = order
    }
}

extension [OrderRow] {
    /// The orders the rows describe, one row a line, in the order their first rows come.
    var orders: [Order] {
        var orders: [Order] = []
        for order in compactMap(\.order) {
            if let last = orders.last, last.id == order.id {
                orders[orders.count - 1].lines += order.lines
            } else {
                orders.append(order)
            }
        }
        return orders
    }
}
