import Crypto
import Foundation

/// A shopper's cart, homed in the region that opened it.
public struct Cart: Sendable, Hashable {
    public var id: UUID
    /// The cart's home region: the only one that writes it.
    public var region: Region
    public var status: Status
    /// Grows with every change: the cart's ETag, for safe read-modify-write.
    public var version: Int
    public var lines: [CartLine]
    public var createdAt: Date
    public var updatedAt: Date
    public var expiresAt: Date
    /// For a cart adopted from a region that was away: the cart it copied.
    public var adoptedFrom: UUID?
    /// For a cart read from another region's replica: how old that replica is, by the home's heartbeat.
    public var replicaAge: Double?

    public enum Status: String, Sendable, Hashable, Codable {
        case open
        case checkedOut = "checked_out"
    }

    public init(
        id: UUID,
        region: Region,
        status: Status,
        version: Int,
        lines: [CartLine],
        createdAt: Date,
        updatedAt: Date,
        expiresAt: Date,
        adoptedFrom: UUID? = nil,
        replicaAge: Double? = nil
    ) {
        self.id = id
        self.region = region
        self.status = status
        self.version = version
        self.lines = lines
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.expiresAt = expiresAt
        self.adoptedFrom = adoptedFrom
        self.replicaAge = replicaAge
    }

    public var subtotal: Money? { lines.subtotal }

    public static let maxLines = 50
    public static let quantityRange = 1...10
}

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

/// A secret that proves the right to a cart or an order. Only its SHA-256 digest is stored.
public struct AccessToken: Sendable, Hashable {
    public let value: String

    public init(value: String) { self.value = value }

    /// 256 random bits, base64url: unguessable, and safe in a header.
    public static func generate() -> AccessToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return AccessToken(value: Data(bytes).base64URLEncoded())
    }

    /// What the database keeps: a leaked table reveals no usable token.
    public var digest: [UInt8] { Array(SHA256.hash(data: Data(value.utf8))) }

    /// A token as a client sent it: 1-128 visible ASCII characters, or nothing.
    public init?(header: String?) {
        guard let header, (1...128).contains(header.utf8.count), header.utf8.allSatisfy({ (33...126).contains($0) }) else {
            return nil
        }
        value = header
    }
}
