import Foundation

/// Where the catalog comes from. The PostgreSQL store is the real one; reads of the catalog go through
/// ``CatalogSnapshot`` in memory, so these calls run in the background and for text search.
public protocol CatalogStore: Sendable {
    /// Brands, categories, and the products (with variants) changed at or after `since`; every product when
    /// `since` is nil.
    func catalogChanges(since: Date?) async throws -> CatalogChanges

    /// Up to `limit` products after `after` in id order, with every brand and category: the first load
    /// reads the catalog page by page, so that no catalog is too big for one statement's timeout.
    func catalogPage(after: UUID?, limit: Int) async throws -> CatalogChanges

    /// The serving region's stock of every SKU changed at or after `since`; every SKU when `since` is nil.
    func stockChanges(in region: Region, since: Date?) async throws -> StockChanges

    /// Products by id, for ones newer than the snapshot; unknown ids are left out.
    func products(ids: [UUID]) async throws -> [Product]

    /// The ids and sort keys of up to `limit` products matching `query` after `cursor`, in the query's order.
    func search(_ query: ProductQuery, after cursor: PageCursor?, stockRegion: Region, limit: Int) async throws -> [PageCursor]
}

public struct CatalogChanges: Sendable {
    public var brands: [Brand]
    public var categories: [Category]
    public var products: [Product]
    /// The database's clock when the read began: pass it back as `since`.
    public var readAt: Date

    public init(brands: [Brand], categories: [Category], products: [Product], readAt: Date) {
        self.brands = brands
        self.categories = categories
        self.products = products
        self.readAt = readAt
    }
}

public struct StockChanges: Sendable {
    public var available: [String: Int]
    public var readAt: Date

    public init(available: [String: Int], readAt: Date) {
        self.available = available
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
