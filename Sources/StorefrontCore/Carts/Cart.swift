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

    /// A line's quantity as a change asks for it: 0 removes the line.
    public static func validate(quantity: Int) throws(StorefrontError) {
        guard quantity == 0 || quantityRange.contains(quantity) else {
            throw StorefrontError.invalid("quantity", "must be 0 (to remove the line) or 1-\(quantityRange.upperBound)")
        }
    }
}
