import Foundation
import PostgresNIO
import StorefrontCore

extension CartLine {
    /// A cart line from ten columns starting at `first`: sku, quantity, product id, product name, colour, EU
    /// size, US size, width, price amount, currency — the order every cart query selects them in.
    init(_ cells: PostgresRandomAccessRow, from first: Int, available: Int) throws {
        self.init(
            sku: try cells[first].decode(String.self),
            quantity: try cells[first + 1].decode(Int.self),
            productID: try cells[first + 2].decode(UUID.self),
            productName: try cells[first + 3].decode(String.self),
            colour: try cells[first + 4].decode(String.self),
            euSize: ShoeSize(tenths: Int(try cells[first + 5].decode(Int16.self))),
            usSize: ShoeSize(tenths: Int(try cells[first + 6].decode(Int16.self))),
            width: try known(Width.init(rawValue:), try cells[first + 7].decode(String.self), in: "variants.width"),
            unitPrice: Money(
                amount: try cells[first + 8].decode(Int64.self),
                currency: try known(Currency.init, try cells[first + 9].decode(String.self), in: "variants.currency")
            ),
            available: available
        )
    }
}
