/// An amount of money in integer minor units (cents) of one ISO 4217 currency. Never floating point.
public struct Money: Hashable, Sendable, Codable {
    public var amount: Int64
    public var currency: Currency

    public init(amount: Int64, currency: Currency) {
        self.amount = amount
        self.currency = currency
    }

    /// Multiplies a unit price by a quantity; `nil` on overflow, which no real basket reaches.
    public func times(_ quantity: Int) -> Money? {
        let (product, overflow) = amount.multipliedReportingOverflow(by: Int64(quantity))
        return overflow ? nil : Money(amount: product, currency: currency)
    }

    /// Adds two amounts of the same currency; `nil` for mixed currencies or overflow.
    public func plus(_ other: Money) -> Money? {
        guard other.currency == currency else { return nil }
        let (sum, overflow) = amount.addingReportingOverflow(other.amount)
        return overflow ? nil : Money(amount: sum, currency: currency)
    }
}

/// A three-letter uppercase ISO 4217 currency code.
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    public let code: String

    public static let usd = Currency(unchecked: "USD")

    public init?(_ code: String) {
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
            return nil
        }
        self.code = code
    }

    private init(unchecked code: String) { self.code = code }

    public var description: String { code }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let currency = Currency(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "currency must be a three-letter ISO 4217 code")
        }
        self = currency
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}
