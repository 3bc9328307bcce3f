import PostgresNIO

/// A stored value this binary cannot read: a status, currency or gender it does not know, written by a
/// newer region or by hand, or a query that returned no row where one always comes. The read fails rather
/// than guess: a guess would misstate an order, a price or a product.
public struct UnreadableStoredValue: Error, CustomStringConvertible {
    public let what: String

    public var description: String { what }

    /// What a function of the schema raises for such a value (migration 0009).
    static let sqlState = "SFU01"
}

/// `parse(text)`, or an error naming the column and the value when this binary does not know it.
func known<Value>(_ parse: (String) -> Value?, _ text: String, in column: String) throws(UnreadableStoredValue) -> Value {
    guard let value = parse(text) else { throw UnreadableStoredValue(what: "\(column) holds '\(text)', which this binary does not know") }
    return value
}

extension Array where Element == PostgresRow {
    /// The row a query always returns (`SELECT now()`, `RETURNING` of a row it just wrote, an aggregate).
    func onlyRow(of what: String) throws(UnreadableStoredValue) -> PostgresRow {
        guard let row = first else { throw UnreadableStoredValue(what: "\(what) returned no row") }
        return row
    }
}
