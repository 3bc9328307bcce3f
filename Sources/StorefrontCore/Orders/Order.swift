import Foundation

/// A placed order, homed in the region where the shopper checked out.
public struct Order: Sendable, Hashable {
    public var id: UUID
    public var region: Region
    public var cartID: UUID
    public var status: OrderStatus
    public var email: String
    public var shippingAddress: ShippingAddress
    public var lines: [OrderLine]
    public var subtotal: Money
    public var createdAt: Date
    public var updatedAt: Date
    /// For an order read from another region's replica: how old that replica is, by the home's heartbeat.
    public var replicaAge: Double?
    /// For a duplicate of a checkout that became orders in two regions: the order that stands.
    public var supersededBy: OrderReference?

    public init(
        id: UUID,
        region: Region,
        cartID: UUID,
        status: OrderStatus,
        email: String,
        shippingAddress: ShippingAddress,
        lines: [OrderLine],
        subtotal: Money,
        createdAt: Date,
        updatedAt: Date,
        replicaAge: Double? = nil
    ) {
        self.id = id
        self.region = region
        self.cartID = cartID
        self.status = status
        self.email = email
        self.shippingAddress = shippingAddress
        self.lines = lines
        self.subtotal = subtotal
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.replicaAge = replicaAge
    }
}

/// One SKU of an order, with the price and description it was sold at.
public struct OrderLine: Sendable, Hashable, Codable {
    public var sku: String
    public var productID: UUID
    public var productName: String
    public var colour: String
    public var euSize: String
    public var usSize: String
    public var width: Width
    public var quantity: Int
    public var unitPrice: Money

    public init(
        sku: String,
        productID: UUID,
        productName: String,
        colour: String,
        euSize: String,
        usSize: String,
        width: Width,
        quantity: Int,
        unitPrice: Money
    ) {
        self.sku = sku
        self.productID = productID
        self.productName = productName
        self.colour = colour
        self.euSize = euSize
        self.usSize = usSize
        self.width = width
        self.quantity = quantity
        self.unitPrice = unitPrice
    }

    /// A cart's line as it would be sold: the sizes as the shopper sees them (as `shoe_size_label` writes an
    /// order's), the price the cart has now.
    public init(_ line: CartLine) {
        self.init(
            sku: line.sku,
            productID: line.productID,
            productName: line.productName,
            colour: line.colour,
            euSize: line.euSize.description,
            usSize: line.usSize.description,
            width: line.width,
            quantity: line.quantity,
            unitPrice: line.unitPrice
        )
    }
}

/// Where the shoes go.
public struct ShippingAddress: Sendable, Hashable, Codable {
    public var name: String
    public var line1: String
    public var line2: String?
    public var city: String
    public var postalCode: String
    /// ISO 3166-1 alpha-2.
    public var country: String

    public init(name: String, line1: String, line2: String? = nil, city: String, postalCode: String, country: String) {
        self.name = name
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.postalCode = postalCode
        self.country = country
    }
}

/// A SKU the region cannot supply in the quantity a checkout asks for.
public struct StockShortage: Sendable, Hashable, Codable {
    public var sku: String
    public var requested: Int
    public var available: Int

    public init(sku: String, requested: Int, available: Int) {
        self.sku = sku
        self.requested = requested
        self.available = available
    }
}
