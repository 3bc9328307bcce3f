import AsyncAlgorithms
import Foundation
import Logging
import StorefrontCore

/// Keeps the in-memory catalog and its stock close to the database: a full load at start, then every
/// interval only what changed.
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

    func loadAll() async throws -> Watermarks {
        let changes = try await store.catalogChanges(since: nil)
        let stock = try await store.stockChanges(in: region, since: nil)
        catalog.update { snapshot in
            snapshot.apply(changes)
            snapshot.apply(stock)
        }
        logger.info("catalog loaded", metadata: ["products": "\(changes.products.count)", "skus": "\(stock.available.count)"])
        return Watermarks(catalog: changes.readAt, stock: stock.readAt)
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
