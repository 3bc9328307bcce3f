import AsyncAlgorithms
import Foundation
import Logging
import StorefrontCore

/// Keeps the in-memory catalog and its stock close to the database: a full load at start, in pages, then
/// every interval only what changed.
struct CatalogRefresher<Store: CatalogStore>: Sendable {
    let store: Store
    let catalog: Catalog
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

    /// Products per page of the first load: a page is three short statements whatever the catalog's size.
    var pageSize = 1000

    /// Loads the catalog page by page, then the region's stock. The watermark is the first page's read
    /// time: whatever changes while later pages load is caught by the first refresh.
    func loadAll() async throws -> Watermarks {
        var after: UUID?
        var readAt: Date?
        var products = 0
        while true {
            let page = try await store.catalogPage(after: after, limit: pageSize)
            readAt = readAt ?? page.readAt
            catalog.update { $0.apply(page) }
            products += page.products.count
            guard page.products.count == pageSize, let last = page.products.last else { break }
            after = last.id
        }
        let stock = try await store.stockChanges(in: region, since: nil)
        catalog.update { $0.apply(stock) }
        logger.info("catalog loaded", metadata: ["products": "\(products)", "skus": "\(stock.available.count)"])
        return Watermarks(catalog: readAt!, stock: stock.readAt)
    }

    /// Refreshes every interval until cancelled; a failed refresh is logged and retried at the next tick.
    func keepFresh(from start: Watermarks) async {
        var watermarks = start
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous) {
            do {
                let changes = try await store.catalogChanges(since: watermarks.catalog.addingTimeInterval(-Self.lookback))
                let stock = try await store.stockChanges(in: region, since: watermarks.stock.addingTimeInterval(-Self.lookback))
                catalog.update { snapshot in
                    if !changes.products.isEmpty { snapshot.apply(changes) }
                    snapshot.apply(stock)
                }
                watermarks = Watermarks(catalog: changes.readAt, stock: stock.readAt)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("catalog refresh failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}
