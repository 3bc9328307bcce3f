import AsyncAlgorithms
import Foundation
import Logging
import StorefrontCore
import StorefrontHTTP

/// Keeps the region's `CatalogCache` close to the database: brands, categories and the newest products at
/// start, then every interval what changed among the products held and their stock.
struct CatalogRefresher<Store: CatalogStore>: Sendable {
    let store: Store
    let cache: CatalogCache
    let region: Region
    let interval: Duration
    let logger: Logger
    /// Rows are found by `updated_at`, which is the time their transaction began; reading a little further
    /// back than the last read catches transactions that began before it and committed after.
    static var lookback: TimeInterval { 5 }

    struct Watermarks {
        var catalog: Date
        var stock: Date
    }

    /// What a start leaves to do once the region serves: the rest of the newest products to read.
    struct Start {
        var watermarks: Watermarks
        var warming: [UUID]
    }

    /// Products read per statement pair: short statements whatever the catalog's size.
    var pageSize = 500

    /// What serving needs, before the region is ready: the brands and categories with their counts, and the
    /// newest page of products. The newest products up to half the cache follow in the background (a cache
    /// filled to the brim would start evicting them at once), the rest of the catalog on first use.
    func start() async throws -> Start {
        let facets = try await store.facets()
        try cache.setFacets(facets)
        let newest = try await store.newestProductIDs(limit: cache.capacity / 2)
        cache.insert(try await store.products(ids: Array(newest.prefix(pageSize)), stockIn: region))
        logger.info(
            "catalog ready",
            metadata: [
                "brands": "\(facets.brands.count)", "categories": "\(facets.categories.count)", "products_held": "\(cache.count)",
            ]
        )
        // Whatever changes from now on, while products are read, the first refresh reads again.
        return Start(watermarks: Watermarks(catalog: facets.readAt, stock: facets.readAt), warming: Array(newest.dropFirst(pageSize)))
    }

    /// Reads the rest of the newest products, then refreshes every interval until cancelled; a failed
    /// refresh is logged and retried at the next tick.
    func keepFresh(from start: Start) async {
        do {
            try await read(start.warming)
            logger.info("catalog warmed", metadata: ["products_held": "\(cache.count)"])
        } catch is CancellationError {
            return
        } catch {
            logger.warning("catalog warming stopped; products are read on first use", metadata: ["error": "\(logDescription(of: error))"])
        }
        var watermarks = start.watermarks
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous) {
            do {
                watermarks = try await refresh(since: watermarks)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("catalog refresh failed", metadata: ["error": "\(logDescription(of: error))"])
            }
        }
    }

    /// One refresh: products held that changed are read again, with the counts of brands and categories;
    /// stock changes reach the products held.
    func refresh(since watermarks: Watermarks) async throws -> Watermarks {
        let changes = try await store.productChanges(since: watermarks.catalog.addingTimeInterval(-Self.lookback))
        let stock = try await store.stockChanges(in: region, since: watermarks.stock.addingTimeInterval(-Self.lookback))
        if !changes.ids.isEmpty {
            try await read(cache.holding(changes.ids))
            try cache.setFacets(try await store.facets())
        }
        cache.apply(stock.levels)
        return Watermarks(catalog: changes.readAt, stock: stock.readAt)
    }

    private func read(_ ids: [UUID]) async throws {
        var rest = ids[...]
        while !rest.isEmpty {
            cache.insert(try await store.products(ids: Array(rest.prefix(pageSize)), stockIn: region))
            rest = rest.dropFirst(pageSize)
        }
    }
}
