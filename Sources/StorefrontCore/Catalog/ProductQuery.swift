/// What a shopper asked the catalog for: filters, text search, order and page size.
///
/// Variant filters (size, colour, price, stock) apply to one and the same variant: a product matches when
/// at least one of its variants satisfies all of them.
public struct ProductQuery: Sendable, Hashable {
    public var brand: String?
    public var category: String?
    public var gender: Gender?
    public var size: SizeFilter?
    public var colour: String?
    public var minPrice: Int64?
    public var maxPrice: Int64?
    public var inStock: Bool
    public var text: String?
    public var sort: ProductSort
    public var limit: Int

    public static let defaultLimit = 24
    public static let limitRange = 1...100
    /// The longest search text, in bytes.
    public static let maxTextLength = 200

    public init(
        brand: String? = nil,
        category: String? = nil,
        gender: Gender? = nil,
        size: SizeFilter? = nil,
        colour: String? = nil,
        minPrice: Int64? = nil,
        maxPrice: Int64? = nil,
        inStock: Bool = false,
        text: String? = nil,
        sort: ProductSort? = nil,
        limit: Int = ProductQuery.defaultLimit
    ) {
        self.brand = brand
        self.category = category
        self.gender = gender
        self.size = size
        self.colour = colour
        self.minPrice = minPrice
        self.maxPrice = maxPrice
        self.inStock = inStock
        self.text = text
        self.sort = sort ?? (text == nil ? .newest : .relevance)
        self.limit = limit
    }
}

public enum ProductSort: String, Sendable, Hashable, Codable, CaseIterable {
    case relevance
    case priceAscending = "price_asc"
    case priceDescending = "price_desc"
    case newest
}

/// A size in one sizing system: `eu:42` or `us:9.5`.
public struct SizeFilter: Sendable, Hashable {
    public enum System: String, Sendable, Hashable { case eu, us }
    public var system: System
    public var size: ShoeSize

    public init(system: System, size: ShoeSize) {
        self.system = system
        self.size = size
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let system = System(rawValue: String(parts[0])), let size = ShoeSize(parts[1]) else { return nil }
        self.init(system: system, size: size)
    }
}

/// Lowercase letters, digits and single dashes, as region, brand, category and colour slugs are written.
public func isSlug(_ value: String, maxLength: Int = 64) -> Bool {
    guard (1...maxLength).contains(value.utf8.count), value.first != "-", value.last != "-", !value.contains("--") else {
        return false
    }
    return value.utf8.allSatisfy { byte in
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-")
    }
}

extension String {
    /// Without leading and trailing whitespace.
    public func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
