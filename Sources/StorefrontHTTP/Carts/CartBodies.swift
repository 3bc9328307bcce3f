import Foundation
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
