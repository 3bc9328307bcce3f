import Foundation
import Synchronization

/// The whole catalog in memory, with the serving region's stock as of the last refresh (about a second old).
/// Catalog pages read it instead of the database.
public struct CatalogSnapshot: Sendable {
    public private(set) var products: [UUID: Product] = [:]
    public private(set) var brands: [Brand] = []
    public private(set) var categories: [Category] = []
    /// Available units per SKU in the serving region.
    public private(set) var stock: [String: Int] = [:]
    /// Grows whenever a product or its stock changes, so encoded responses know when they are stale.
    public private(set) var revisions: [UUID: Int] = [:]
    /// Grows whenever brands, categories or the set of products change.
    public private(set) var catalogRevision = 0
    private var productBySKU: [String: UUID] = [:]
    private var nextRevision = 1

    public init() {}

    public func available(_ sku: String) -> Int { stock[sku] ?? 0 }

    public func isInStock(_ product: Product) -> Bool {
        product.variants.contains { available($0.sku) > 0 }
    }

    /// Product counts per brand and per category slug.
    public func productCounts() -> (brands: [String: Int], categories: [String: Int]) {
        var brands: [String: Int] = [:]
        var categories: [String: Int] = [:]
        for product in products.values where !product.variants.isEmpty {
            brands[product.brand.slug, default: 0] += 1
            categories[product.category.slug, default: 0] += 1
        }
        return (brands, categories)
    }

    public mutating func apply(_ changes: CatalogChanges) {
        brands = changes.brands
        categories = changes.categories
        insert(changes.products)
        catalogRevision = nextRevision
        nextRevision += 1
    }

    public mutating func insert(_ changed: [Product]) {
        for product in changed {
            products[product.id] = product
            for variant in product.variants { productBySKU[variant.sku] = product.id }
            revisions[product.id] = nextRevision
        }
        if !changed.isEmpty {
            catalogRevision = nextRevision
            nextRevision += 1
        }
    }

    /// Applies stock read from the database; returns whether anything changed.
    @discardableResult
    public mutating func apply(_ changes: StockChanges) -> Bool {
        var changed = false
        for (sku, available) in changes.available where stock[sku] != available {
            stock[sku] = available
            if let id = productBySKU[sku] { revisions[id] = nextRevision }
            changed = true
        }
        if changed { nextRevision += 1 }
        return changed
    }
}

/// The live snapshot: readers take the current value without waiting on refreshes, which build the next
/// value and swap it in.
public final class Catalog: Sendable {
    private let current = Mutex(CatalogSnapshot())

    public init() {}

    public var snapshot: CatalogSnapshot { current.withLock { $0 } }

    public func update(_ change: (inout CatalogSnapshot) -> Void) {
        current.withLock { change(&$0) }
    }
}
