import Logging
import Prometheus
import ServiceLifecycle
import StorefrontCore
import StorefrontPostgres
import Synchronization

/// Every second: writes this region's heartbeat, credits stock transfers that arrived from other regions,
/// and publishes how far behind each peer's replicated heartbeat is.
struct ReplicationMonitor: Service {
    let heartbeat: HeartbeatWriter
    let stock: any StockStore
    let inspector: ReplicationInspector
    let region: Region
    let metrics: PrometheusCollectorRegistry
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let gauges = Mutex<[String: Gauge]>([:])
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await heartbeat.beat()
                    _ = try await stock.receiveTransfers()
                    let ages = try await inspector.heartbeatAges()
                    for (peer, age) in ages where peer != region.name {
                        let gauge = gauges.withLock { gauges in
                            if let gauge = gauges[peer] { return gauge }
                            let gauge = metrics.makeGauge(
                                name: "storefront_replication_lag_seconds", labels: [("peer", peer)],
                                help: "Age of the peer's latest heartbeat as replicated here"
                            )
                            gauges[peer] = gauge
                            return gauge
                        }
                        gauge.set(age)
                    }
                } catch {
                    logger.warning("replication monitor round failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
