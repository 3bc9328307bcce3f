import Foundation

/// A shoe model as shoppers see it: one name and description, sold in several colours and sizes (variants).
public struct Product: Sendable, Hashable, Identifiable {
    public var id: UUID
    public var name: String
    public var description: String
    public var brand: Brand
    public var category: Category
    public var gender: Gender
    public var tags: [String]
    public var imageURLs: [String]
    public var createdAt: Date
    public var variants: [Variant]

    public init(
        id: UUID,
        name: String,
        description: String,
        brand: Brand,
        category: Category,
        gender: Gender,
        tags: [String],
        imageURLs: [String],
        createdAt: Date,
        variants: [Variant]
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.brand = brand
        self.category = category
        self.gender = gender
        self.tags = tags
        self.imageURLs = imageURLs
        self.createdAt = createdAt
        self.variants = variants
    }

    /// The lowest variant price: what a listing shows as "from".
    public var priceFrom: Money? {
        variants.min { $0.price.amount < $1.price.amount }?.price
    }

    /// The colours in the order the variants list them, each once.
    public var colours: [String] {
        var seen = Set<String>()
        return variants.compactMap { seen.insert($0.colour).inserted ? $0.colour : nil }
    }
}

/// One purchasable item: a product in one colour, size and width, identified by its SKU.
public struct Variant: Sendable, Hashable {
    public var sku: String
    public var colour: String
    public var euSize: ShoeSize
    public var usSize: ShoeSize
    public var width: Width
    public var price: Money

    public init(sku: String, colour: String, euSize: ShoeSize, usSize: ShoeSize, width: Width, price: Money) {
        self.sku = sku
        self.colour = colour
        self.euSize = euSize
        self.usSize = usSize
        self.width = width
        self.price = price
    }
}

public struct Brand: Sendable, Hashable, Codable {
    public var slug: String
    public var name: String

    public init(slug: String, name: String) {
        self.slug = slug
        self.name = name
    }
}

public struct Category: Sendable, Hashable, Codable {
    public var slug: String
    public var name: String

    public init(slug: String, name: String) {
        self.slug = slug
        self.name = name
    }
}

public enum Gender: String, Sendable, Hashable, Codable, CaseIterable {
    case men, women, unisex, kids
}

public enum Width: String, Sendable, Hashable, Codable, CaseIterable {
    case narrow, standard, wide
}

/// A shoe size in tenths (EU 42.5 is 425), so half sizes compare exactly.
public struct ShoeSize: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var tenths: Int

    public init(tenths: Int) { self.tenths = tenths }

    /// Parses "42", "42.5" or "9.5"; sizes are whole or halves between 1 and 60.
    public init?(_ text: Substring) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = wholeNumber(parts[0]), (1...60).contains(whole) else { return nil }
        var tenths = whole * 10
        if parts.count == 2 {
            guard parts[1] == "5" || parts[1] == "0" else { return nil }
            tenths += parts[1] == "5" ? 5 : 0
        }
        self.tenths = tenths
    }

    public var description: String {
        tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }

    public static func < (lhs: ShoeSize, rhs: ShoeSize) -> Bool { lhs.tenths < rhs.tenths }
}

/// A number written only with the digits 0-9 (no sign, no spaces), as query parameters take them.
public func wholeNumber(_ text: Substring) -> Int? {
    guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
        return nil
    }
    return Int(text)
}
