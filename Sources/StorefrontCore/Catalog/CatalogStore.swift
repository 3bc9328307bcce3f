import Foundation

/// Where the catalog comes from. The PostgreSQL store is the real one; reads of the catalog go through
/// ``CatalogSnapshot`` in memory, so these calls run in the background and for text search.
public protocol CatalogStore: Sendable {
    /// Brands, categories, and the products (with variants) changed at or after `since`; every product when
    /// `since` is nil.
    func catalogChanges(since: Date?) async throws -> CatalogChanges

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

/// The serving region's stock allocations, as an admin sets them.
public protocol StockStore: Sendable {
    /// Sets the serving region's allocation of a SKU; `unknownSKU` if the catalog has no such SKU.
    func setAvailable(_ available: Int, sku: String) async throws
}
