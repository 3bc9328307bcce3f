import AsyncAlgorithms
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import StorefrontHTTP
import StorefrontPostgres

/// Every interval, purges this region's rows past their retention and counts them in `/metrics`.
struct PurgeService: Service {
    let purger: DataPurger
    let interval: Duration
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let activity = Activity()

    func run() async throws {
        let counters = Dictionary(uniqueKeysWithValues: DataPurger.Table.allCases.map { table in
            (table, registry.makeCounter(
                descriptor: .storefront("purge", "rows", unit: "total", help: "Rows purged past their retention, by table"),
                labels: [("table", table.rawValue)]))
        })
        await cancelWhenGracefulShutdown {
            for await _ in AsyncTimerSequence(interval: interval, clock: .continuous) {
                do {
                    activity.set("purging")
                    for (table, rows) in try await purger.purge() where rows > 0 { counters[table]?.increment(by: Int64(rows)) }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("purging failed; the next round retries", metadata: ["error": "\(String(reflecting: error))"])
                }
                activity.set("waiting for the next round")
            }
        }
    }
}
