import Foundation

/// One SKU in a cart, priced and with the serving region's live stock.
public struct CartLine: Sendable, Hashable {
    public var sku: String
    public var quantity: Int
    public var productID: UUID
    public var productName: String
    public var colour: String
    public var euSize: ShoeSize
    public var usSize: ShoeSize
    public var width: Width
    public var unitPrice: Money
    /// Units of this SKU available in the serving region now.
    public var available: Int

    public init(
        sku: String,
        quantity: Int,
        productID: UUID,
        productName: String,
        colour: String,
        euSize: ShoeSize,
        usSize: ShoeSize,
        width: Width,
        unitPrice: Money,
        available: Int
    ) {
        self.sku = sku
        self.quantity = quantity
        self.productID = productID
        self.productName = productName
        self.colour = colour
        self.euSize = euSize
        self.usSize = usSize
        self.width = width
        self.unitPrice = unitPrice
        self.available = available
    }

    public var total: Money? { unitPrice.times(quantity) }
}

extension [CartLine] {
    /// The sum of the lines at their prices; nil if they mix currencies or overflow.
    public var subtotal: Money? {
        reduce(Optional(Money(amount: 0, currency: first?.unitPrice.currency ?? .usd))) { total, line in
            total.flatMap { total in line.total.flatMap(total.plus) }
        }
    }
}
