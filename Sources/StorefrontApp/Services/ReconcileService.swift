import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import StorefrontCore
import StorefrontMetrics
import StorefrontPostgres

/// Every interval, supersedes this region's duplicate orders (`OrderReconciler`), logs each and counts them
/// in `/metrics`: in the one instance of the region that holds the reconciliation's lease (two at once would
/// still supersede each order once, under its row lock, but each would read every duplicate).
struct ReconcileService: Service {
    let reconciler: OrderReconciler
    let session: RegionSession
    let interval: Duration
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let activity = Activity()

    func run() async throws {
        let counters = Dictionary(
            uniqueKeysWithValues: ["cancelled", "left_for_operator"].map { outcome in
                (
                    outcome,
                    registry.makeCounter(
                        descriptor: .storefront(
                            "reconciled",
                            "orders",
                            unit: "total",
                            help: "Duplicate orders of one checkout superseded here, by outcome"
                        ),
                        labels: [("outcome", outcome)]
                    )
                )
            }
        )
        await everyInterval(interval, activity: activity, doing: "reconciling", failure: "reconciling failed; the next round retries", logger: logger)
        {
            guard await session.holds(.reconciliation) else { return }
            for reconciliation in try await reconciler.reconcile() {
                let outcome = reconciliation.status == .cancelled ? "cancelled" : "left_for_operator"
                counters[outcome]?.increment()
                logger.warning(
                    "superseded a duplicate order of one checkout",
                    metadata: [
                        "order": "\(reconciliation.order.id)", "standing_order": "\(reconciliation.standing.id)",
                        "standing_region": "\(reconciliation.standing.region)", "status": "\(reconciliation.status.rawValue)",
                    ]
                )
            }
        }
    }
}
