import Foundation
import NIOCore
import Prometheus
import StorefrontCore
import StorefrontMetrics
import Synchronization

/// The products shoppers are looking at, with the serving region's stock and their answers encoded once;
/// the rest of the catalog stays in the database until someone asks for it.
///
/// Bounded by product count, so that a catalog of any size costs the same memory. Eviction is by two
/// generations: new and promoted products go into the young one; when it is full it becomes the old one and
/// the previous old one is dropped. A product read while old is promoted, so what shoppers keep reading
/// stays, and a read of a young product writes nothing.
public final class CatalogCache: Sendable {
    public struct Facets: Sendable {
        public var brands: ByteBuffer
        public var categories: ByteBuffer
    }

    struct Entry {
        var product: StockedProduct
        var summary: ByteBuffer?
        var detail: ByteBuffer?
        /// Changes whenever the product or its stock does: an answer encoded from an older version is stale.
        var version: Int
    }

    private struct State {
        var young: [UUID: Entry] = [:]
        var old: [UUID: Entry] = [:]
        var facets: Facets?
        var nextVersion = 1

        /// Whether the product is held; one read while old is promoted to the young generation.
        mutating func lookup(_ id: UUID, generationSize: Int) -> Bool {
            if young[id] != nil { return true }
            guard let entry = old.removeValue(forKey: id) else { return false }
            put(entry, generationSize: generationSize)
            return true
        }

        mutating func put(_ entry: Entry, generationSize: Int) {
            old[entry.product.id] = nil
            if young[entry.product.id] == nil, young.count >= generationSize {
                old = young
                young = [:]
            }
            young[entry.product.id] = entry
        }

        mutating func modify(_ id: UUID, _ change: (inout Entry) -> Void) {
            if young[id] != nil {
                change(&young[id]!)
            } else if old[id] != nil {
                change(&old[id]!)
            }
        }

        mutating func version() -> Int {
            defer { nextVersion += 1 }
            return nextVersion
        }
    }

    private let state = Mutex(State())
    private let region: Region
    /// Products kept at most; each generation holds half.
    public let capacity: Int
    private let held: Gauge
    private let reads: Counter

    public init(region: Region, capacity: Int, registry: PrometheusCollectorRegistry) {
        precondition(capacity >= 2)
        self.region = region
        self.capacity = capacity
        held = registry.makeGauge(descriptor: .storefront("catalog", "products", unit: "held", help: "Products held in memory"))
        reads = registry.makeCounter(
            descriptor: .storefront(
                "catalog",
                "product_reads",
                unit: "total",
                help: "Products read from the database because a shopper asked for one not held"
            )
        )
    }

    /// Counts products a shopper's request had to read from the database.
    public func countReads(_ products: Int) { reads.increment(by: Int64(products)) }

    private var generationSize: Int { capacity / 2 }

    /// Products held now.
    public var count: Int { state.withLock { $0.young.count + $0.old.count } }

    public func contains(_ id: UUID) -> Bool { state.withLock { $0.young[id] != nil || $0.old[id] != nil } }

    /// Which of `ids` are held: the ones a refresh must re-read.
    public func holding(_ ids: [UUID]) -> [UUID] {
        state.withLock { state in ids.filter { state.young[$0] != nil || state.old[$0] != nil } }
    }

    /// Adds products, or replaces the ones held, with their stock as read. A product without variants has
    /// no page and is not kept.
    public func insert(_ products: [StockedProduct]) {
        let count = state.withLock { state in
            for product in products where !product.product.variants.isEmpty {
                state.put(Entry(product: product, version: state.version()), generationSize: generationSize)
            }
            return state.young.count + state.old.count
        }
        held.set(Double(count))
    }

    /// Applies stock levels to the products held; levels of other products are not kept (their stock is read
    /// with them). Returns how many products changed.
    @discardableResult
    public func apply(_ levels: [StockLevel]) -> Int {
        state.withLock { state in
            let version = state.version()
            var changed = 0
            for level in levels {
                state.modify(level.productID) { entry in
                    guard entry.product.available[level.sku] != level.available else { return }
                    entry.product.available[level.sku] = level.available
                    if entry.version != version {
                        entry = Entry(product: entry.product, version: version)
                        changed += 1
                    }
                }
            }
            return changed
        }
    }

    /// Keeps `facets`, encoded, and returns them as kept: what the caller serves even if the cache is
    /// emptied the moment after.
    @discardableResult
    public func setFacets(_ facets: CatalogFacets) throws -> Facets {
        func encode(_ facets: [Facet]) throws -> ByteBuffer {
            try JSON.encode(FacetListBody(items: facets.map { FacetBody(slug: $0.slug, name: $0.name, productCount: $0.productCount) }))
        }
        let encoded = Facets(brands: try encode(facets.brands), categories: try encode(facets.categories))
        state.withLock { $0.facets = encoded }
        return encoded
    }

    /// The brands and categories; nil until the first `setFacets`.
    public var facets: Facets? { state.withLock { $0.facets } }

    /// A held product's listing entry; nil when it is not held.
    public func summary(_ id: UUID) -> ByteBuffer? {
        encoded(id, .summary) { ProductSummaryBody($0).encoded() }
    }

    /// A held product's page; nil when it is not held.
    public func detail(_ id: UUID) -> ByteBuffer? {
        encoded(id, .detail) { [region] in ProductDetailBody($0, region: region).encoded() }
    }

    private enum Page { case summary, detail }

    private func encoded(_ id: UUID, _ page: Page, encode: (StockedProduct) -> ByteBuffer) -> ByteBuffer? {
        // A read of a page already encoded copies nothing but the page.
        let found: (page: ByteBuffer?, unencoded: (product: StockedProduct, version: Int)?)? = state.withLock { state in
            guard state.lookup(id, generationSize: generationSize), let entry = state.young[id] else { return nil }
            let hit = page == .summary ? entry.summary : entry.detail
            return hit.map { ($0, nil) } ?? (nil, (entry.product, entry.version))
        }
        guard let found else { return nil }
        if let hit = found.page { return hit }
        guard let (product, version) = found.unencoded else { return nil }
        // Encoded outside the lock; kept only if nothing changed the product meanwhile.
        let encoded = encode(product)
        state.withLock { state in
            state.modify(id) { current in
                guard current.version == version else { return }
                switch page {
                case .summary: current.summary = encoded
                case .detail: current.detail = encoded
                }
            }
        }
        return encoded
    }
}
