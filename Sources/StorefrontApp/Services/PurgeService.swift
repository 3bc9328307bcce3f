import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import StorefrontMetrics
import StorefrontPostgres

/// Every interval, purges this region's rows past their retention and counts them in `/metrics`: in the one
/// instance of the region that holds the purge's lease (a purge in two at once would be safe, each skipping
/// the rows the other holds, but twice the work).
struct PurgeService: Service {
    let purger: DataPurger
    let session: RegionSession
    let interval: Duration
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let activity = Activity()

    func run() async throws {
        let counters = Dictionary(
            uniqueKeysWithValues: DataPurger.Table.allCases.map { table in
                (
                    table,
                    registry.makeCounter(
                        descriptor: .storefront("purge", "rows", unit: "total", help: "Rows purged past their retention, by table"),
                        labels: [("table", table.rawValue)]
                    )
                )
            }
        )
        await everyInterval(interval, activity: activity, doing: "purging", failure: "purging failed; the next round retries", logger: logger) {
            guard await session.holds(.purge) else { return }
            for (table, rows) in try await purger.purge() where rows > 0 { counters[table]?.increment(by: Int64(rows)) }
        }
    }
}
