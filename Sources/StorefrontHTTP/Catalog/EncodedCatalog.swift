import Foundation
import NIOCore
import StorefrontCore
import Synchronization

/// Catalog responses encoded once and reused until the product, its stock, or the catalog changes.
final class EncodedCatalog: Sendable {
    private struct Entry {
        var revision: Int
        var summary: ByteBuffer?
        var detail: ByteBuffer?
    }

    private struct Facets {
        var revision: Int
        var brands: ByteBuffer
        var categories: ByteBuffer
    }

    private let products = Mutex<[UUID: Entry]>([:])
    private let facets = Mutex<Facets?>(nil)
    private let region: Region
    /// Entries kept before the cache starts over: bounds memory with a catalog of 100,000 products.
    private let capacity: Int

    init(region: Region, capacity: Int = 20_000) {
        self.region = region
        self.capacity = capacity
    }

    func summary(_ product: Product, in snapshot: CatalogSnapshot) throws -> ByteBuffer {
        try cached(product, snapshot, \.summary) { try JSON.encode(ProductSummaryBody(product, in: snapshot)) }
    }

    func detail(_ product: Product, in snapshot: CatalogSnapshot) throws -> ByteBuffer {
        try cached(product, snapshot, \.detail) { try JSON.encode(ProductDetailBody(product, in: snapshot, region: region)) }
    }

    func brands(in snapshot: CatalogSnapshot) throws -> ByteBuffer {
        try currentFacets(snapshot).brands
    }

    func categories(in snapshot: CatalogSnapshot) throws -> ByteBuffer {
        try currentFacets(snapshot).categories
    }

    private func cached(
        _ product: Product, _ snapshot: CatalogSnapshot, _ field: WritableKeyPath<Entry, ByteBuffer?>,
        encode: () throws -> ByteBuffer
    ) throws -> ByteBuffer {
        let revision = snapshot.revisions[product.id] ?? 0
        if let hit = products.withLock({ entries in entries[product.id].flatMap { $0.revision == revision ? $0[keyPath: field] : nil } }) {
            return hit
        }
        let encoded = try encode()
        products.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            var entry = entries[product.id].flatMap { $0.revision == revision ? $0 : nil } ?? Entry(revision: revision)
            entry[keyPath: field] = encoded
            entries[product.id] = entry
        }
        return encoded
    }

    private func currentFacets(_ snapshot: CatalogSnapshot) throws -> Facets {
        if let current = facets.withLock({ $0 }), current.revision == snapshot.catalogRevision { return current }
        let counts = snapshot.productCounts()
        let brands = FacetListBody(items: snapshot.brands.map { FacetBody(slug: $0.slug, name: $0.name, productCount: counts.brands[$0.slug] ?? 0) })
        let categories = FacetListBody(items: snapshot.categories.map {
            FacetBody(slug: $0.slug, name: $0.name, productCount: counts.categories[$0.slug] ?? 0)
        })
        let fresh = Facets(revision: snapshot.catalogRevision, brands: try JSON.encode(brands), categories: try JSON.encode(categories))
        facets.withLock { $0 = fresh }
        return fresh
    }
}
