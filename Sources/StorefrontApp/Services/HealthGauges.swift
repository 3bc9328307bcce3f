import Prometheus
import StorefrontHealth
import StorefrontMetrics

/// The health model on `/metrics`: every node's state (0 healthy, 1 degraded, 2 unhealthy), the database's
/// latencies, the pool's lease wait and each peer's replication lag.
final class HealthGauges: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let gauges = MetricCache<String, Gauge>()
    private let counters = MetricCache<String, Counter>()

    init(registry: PrometheusCollectorRegistry, poolSize: Int) {
        self.registry = registry
        registry.makeGauge(descriptor: .storefront("db", "pool", unit: "max_connections", help: "Connections the pool may open"))
            .set(Double(poolSize))
    }

    /// `ready` is what `/health/ready` answers: alerts on an unready region read it here rather than
    /// re-deriving it from the nodes (a drain or a stale evaluation is unready with every node healthy).
    func update(_ report: HealthReport, ready: Bool, historyBytes: Int) {
        gauge(.storefront("health", "ready", unit: "", help: "1 while /health/ready answers 200, else 0"), labels: []).set(ready ? 1.0 : 0.0)
        gauge(.storefront("health", "history", unit: "bytes", help: "About the memory the last hour of samples and state changes holds"), labels: [])
            .set(Double(historyBytes))
        for node in report.nodes {
            gauge(
                .storefront("health", "node", unit: "status", help: "State of each health node: 0 healthy, 1 degraded, 2 unhealthy"),
                labels: [("node", node.id), ("kind", node.kind.rawValue)]
            )
            .set(Double(node.status.rawValue))
        }
    }

    /// Seconds, as Prometheus prefers; a failed probe leaves the last value and shows in the node state.
    func observe(_ signal: SignalID, _ sample: SignalSample) {
        guard let value = sample.value else { return }
        let seconds = sample.unit == "ms" ? value / 1000 : value
        switch signal {
        case .databaseRead:
            gauge(.storefront("db", "read_latency", unit: "seconds", help: "Latest SELECT 1 round trip"), labels: []).set(seconds)
        case .databaseWrite:
            gauge(.storefront("db", "write_latency", unit: "seconds", help: "Latest heartbeat upsert"), labels: []).set(seconds)
        case .poolWait:
            gauge(.storefront("db", "pool_wait", unit: "seconds", help: "Latest time to lease a pooled connection"), labels: []).set(seconds)
        default:
            guard signal.component == .replication, signal.measurement == "lag", let peer = signal.subject else { return }
            gauge(
                .storefront("replication", "lag", unit: "seconds", help: "Age of the peer's latest heartbeat as replicated here"),
                labels: [("peer", peer)]
            ).set(seconds)
        }
    }

    /// A round of the database probes this instance used: its own (`this_instance`), or the one another
    /// instance of the region ran and announced (`another_instance`).
    func countDatabaseRound(by: String) {
        counters.metric(by) {
            registry.makeCounter(
                descriptor: .storefront(
                    "health",
                    "database_rounds",
                    unit: "total",
                    help: "Rounds of the database probes used here, by the instance that ran them"
                ),
                labels: [("by", by)]
            )
        }
        .increment()
    }

    private func gauge(_ descriptor: MetricNameDescriptor, labels: [(String, String)]) -> Gauge {
        gauges.metric(descriptor.name + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",")) {
            registry.makeGauge(descriptor: descriptor, labels: labels)
        }
    }
}
