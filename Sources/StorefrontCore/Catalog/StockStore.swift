import Foundation

/// One SKU's available units in a region, with the product it belongs to.
public struct StockLevel: Sendable, Hashable {
    public var productID: UUID
    public var sku: String
    public var available: Int

    public init(productID: UUID, sku: String, available: Int) {
        self.productID = productID
        self.sku = sku
        self.available = available
    }
}

public struct StockChanges: Sendable {
    public var levels: [StockLevel]
    /// The database's clock when the read began: pass it back as `since`.
    public var readAt: Date

    public init(levels: [StockLevel], readAt: Date) {
        self.levels = levels
        self.readAt = readAt
    }
}

/// The serving region's stock allocations, as an admin sets and moves them.
public protocol StockStore: Sendable {
    /// Sets the serving region's allocation of a SKU; `unknownSKU` if the catalog has no such SKU.
    func setAvailable(_ available: Int, sku: String) async throws

    /// Takes units from the serving region's allocation and records their transfer to `destination`, which
    /// credits them when it sees the record. Once per `idempotencyKey`: the same request again returns the
    /// first transfer; another request with the key is `idempotencyKeyReused`.
    func transfer(sku: String, quantity: Int, to destination: Region, idempotencyKey: String) async throws -> StockTransfer

    func transfer(_ id: UUID) async throws -> StockTransfer?

    /// Credits every transfer to the serving region not yet credited, each exactly once; returns how many.
    func receiveTransfers() async throws -> Int

    /// Changes a variant's price; only the catalog home region may.
    func setPrice(_ price: Money, sku: String) async throws
}

/// Units moving from one region's allocation to another's.
public struct StockTransfer: Sendable, Hashable {
    public var id: UUID
    public var sku: String
    public var from: Region
    public var to: Region
    public var quantity: Int
    public var createdAt: Date
    /// When the destination credited it, as seen here; nil while on its way.
    public var receivedAt: Date?

    public init(id: UUID, sku: String, from: Region, to: Region, quantity: Int, createdAt: Date, receivedAt: Date?) {
        self.id = id
        self.sku = sku
        self.from = from
        self.to = to
        self.quantity = quantity
        self.createdAt = createdAt
        self.receivedAt = receivedAt
    }
}
