import Foundation

/// Where the catalog comes from. The PostgreSQL store is the real one; a region keeps the products shoppers
/// look at in memory (`CatalogCache`) and asks the store for the rest on first use.
public protocol CatalogStore: Sendable {
    /// Brands and categories with their product counts, and the database's clock when they were read.
    func facets() async throws -> CatalogFacets

    /// The ids of up to `limit` products, newest first: what a launch's shoppers look at first.
    func newestProductIDs(limit: Int) async throws -> [UUID]

    /// Products by id with the region's stock of their SKUs; unknown ids are left out.
    func products(ids: [UUID], stockIn region: Region) async throws -> [StockedProduct]

    /// The ids of products changed at or after `since`.
    func productChanges(since: Date) async throws -> ProductChanges

    /// The region's stock of every SKU changed at or after `since`.
    func stockChanges(in region: Region, since: Date) async throws -> StockChanges

    /// The ids and sort keys of up to `limit` products matching `query` after `cursor`, in the query's order.
    func search(_ query: ProductQuery, after cursor: PageCursor?, stockRegion: Region, limit: Int) async throws -> [PageCursor]
}

/// A product with the serving region's available units of each of its SKUs.
public struct StockedProduct: Sendable, Hashable {
    public var product: Product
    public var available: [String: Int]

    public init(_ product: Product, available: [String: Int]) {
        self.product = product
        self.available = available
    }

    public var id: UUID { product.id }

    public func available(_ sku: String) -> Int { available[sku] ?? 0 }

    public var isInStock: Bool { product.variants.contains { available($0.sku) > 0 } }
}

/// A brand or a category with how many products (with at least one variant) it has.
public struct Facet: Sendable, Hashable {
    public var slug: String
    public var name: String
    public var productCount: Int

    public init(slug: String, name: String, productCount: Int) {
        self.slug = slug
        self.name = name
        self.productCount = productCount
    }
}

public struct CatalogFacets: Sendable, Hashable {
    public var brands: [Facet]
    public var categories: [Facet]
    /// The database's clock when the read began: a starting point for `productChanges(since:)`.
    public var readAt: Date

    public init(brands: [Facet], categories: [Facet], readAt: Date) {
        self.brands = brands
        self.categories = categories
        self.readAt = readAt
    }
}

public struct ProductChanges: Sendable {
    public var ids: [UUID]
    /// The database's clock when the read began: pass it back as `since`.
    public var readAt: Date

    public init(ids: [UUID], readAt: Date) {
        self.ids = ids
        self.readAt = readAt
    }
}
