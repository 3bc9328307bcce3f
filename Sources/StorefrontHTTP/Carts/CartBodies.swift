import Foundation
import NIOCore
import StorefrontCore

/// A cart as the shopper sees it; `token` only in the response that opens it.
struct CartBody: Encodable {
    var id: String
    var region: String
    var status: Cart.Status
    var version: Int
    var items: [LineBody]
    var itemCount: Int
    var subtotal: Money?
    var createdAt: Date
    var updatedAt: Date
    var expiresAt: Date
    var token: String?
    /// Set when the cart is homed in another region and was read from this region's replica.
    var replicaAgeSeconds: Double?
    var adoptedFrom: String?

    init(_ cart: Cart, token: AccessToken? = nil) {
        id = cart.id.uuidString.lowercased()
        region = cart.region.name
        status = cart.status
        version = cart.version
        items = cart.lines.map { LineBody(OrderLine($0), available: $0.available) }
        itemCount = cart.lines.reduce(0) { $0 + $1.quantity }
        subtotal = cart.subtotal
        createdAt = cart.createdAt
        updatedAt = cart.updatedAt
        expiresAt = cart.expiresAt
        self.token = token?.value
        replicaAgeSeconds = cart.replicaAge
        adoptedFrom = cart.adoptedFrom?.uuidString.lowercased()
    }
}

struct QuantityRequest: Decodable {
    var quantity: Int
}

/// One line of a cart or an order: the SKU as sold, its quantity and price; for a cart, the serving
/// region's live stock too.
struct LineBody: Encodable {
    var sku: String
    var productId: String
    var productName: String
    var colour: String
    var size: ProductDetailBody.SizeBody
    var width: Width
    var quantity: Int
    var unitPrice: Money
    var lineTotal: Money?
    var available: Int?
    var inStock: Bool?

    /// A cart's line is shown as it would be sold, with the serving region's stock as `available`.
    init(_ line: OrderLine, available: Int? = nil) {
        sku = line.sku
        productId = line.productID.uuidString.lowercased()
        productName = line.productName
        colour = line.colour
        size = .init(eu: line.euSize, us: line.usSize)
        width = line.width
        quantity = line.quantity
        unitPrice = line.unitPrice
        lineTotal = line.unitPrice.times(line.quantity)
        self.available = available
        inStock = available.map { $0 >= line.quantity }
    }
}

extension CartBody {
    /// The same document as `JSON.encode(self)`, keys in the same order, at a fraction of the cost: every cart
    /// change answers with it.
    func encoded() -> ByteBuffer {
        var json = JSONWriter(capacity: 512 + items.count * 400)
        json.object { json in
            if let adoptedFrom {
                json.key("adopted_from")
                json.string(adoptedFrom)
            }
            json.key("created_at")
            json.date(createdAt)
            json.key("expires_at")
            json.date(expiresAt)
            json.key("id")
            json.string(id)
            json.key("item_count")
            json.integer(itemCount)
            json.key("items")
            json.array(items) { $0.line($1) }
            json.key("region")
            json.string(region)
            if let replicaAgeSeconds {
                json.key("replica_age_seconds")
                json.number(replicaAgeSeconds)
            }
            json.key("status")
            json.string(status.rawValue)
            if let subtotal {
                json.key("subtotal")
                json.money(subtotal)
            }
            if let token {
                json.key("token")
                json.string(token)
            }
            json.key("updated_at")
            json.date(updatedAt)
            json.key("version")
            json.integer(version)
        }
        return json.buffer
    }
}

extension JSONWriter {
    /// A cart's or an order's line, as `LineBody` encodes.
    mutating func line(_ line: LineBody) {
        object { json in
            if let available = line.available {
                json.key("available")
                json.integer(available)
            }
            json.key("colour")
            json.string(line.colour)
            if let inStock = line.inStock {
                json.key("in_stock")
                json.bool(inStock)
            }
            if let lineTotal = line.lineTotal {
                json.key("line_total")
                json.money(lineTotal)
            }
            json.key("product_id")
            json.string(line.productId)
            json.key("product_name")
            json.string(line.productName)
            json.key("quantity")
            json.integer(line.quantity)
            json.key("size")
            json.object { json in
                json.key("eu")
                json.string(line.size.eu)
                json.key("us")
                json.string(line.size.us)
            }
            json.key("sku")
            json.string(line.sku)
            json.key("unit_price")
            json.money(line.unitPrice)
            json.key("width")
            json.string(line.width.rawValue)
        }
    }
}
