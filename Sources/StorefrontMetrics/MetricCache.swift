import Synchronization

/// Metrics made once per key and kept: making one takes the registry's lock and builds its labels, which
/// the request path should not pay each time.
public final class MetricCache<Key: Hashable & Sendable, Metric: Sendable>: Sendable {
    private let metrics = Mutex<[Key: Metric]>([:])

    public init() {}

    public func metric(_ key: Key, make: () -> Metric) -> Metric {
        metrics.withLock { metrics in
            if let metric = metrics[key] { return metric }
            let metric = make()
            metrics[key] = metric
            return metric
        }
    }
}
