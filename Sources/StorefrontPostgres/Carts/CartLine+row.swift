import Foundation
import PostgresNIO
import StorefrontCore

extension CartLine {
    /// A line's columns as every cart query selects them, in this order: sku, quantity, product id, product
    /// name, colour, EU size, US size (tenths), width, price amount, currency.
    typealias Columns = (String, Int, UUID, String, String, Int16, Int16, String, Int64, String)

    /// A line from its stored columns; a width or currency this build does not know throws.
    init(_ columns: Columns, available: Int) throws {
        let (sku, quantity, productID, productName, colour, euSize, usSize, width, priceAmount, currency) = columns
        self.init(
            sku: sku,
            quantity: quantity,
            productID: productID,
            productName: productName,
            colour: colour,
            euSize: ShoeSize(tenths: Int(euSize)),
            usSize: ShoeSize(tenths: Int(usSize)),
            width: try known(Width.init(rawValue:), width, in: "variants.width"),
            unitPrice: Money(amount: priceAmount, currency: try known(Currency.init, currency, in: "variants.currency")),
            available: available
        )
    }
}
