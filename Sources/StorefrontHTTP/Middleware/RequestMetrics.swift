import Foundation
import Prometheus
import StorefrontCore
import StorefrontHealth
import StorefrontMetrics

/// The per-route series, created on a route's first request and kept for the life of the process.
public final class RequestMetrics: Sendable {
    struct Series: Sendable {
        let requests: Counter
        let errors: Counter
        let duration: DurationHistogram
        /// The flow the route belongs to, worked out once per route.
        let flow: Flow?
    }

    let registry: PrometheusCollectorRegistry
    let flows: FlowWindows
    /// Which flow each route belongs to, filled as the router is built.
    public let routes: FlowRoutes
    let inFlight: Gauge
    private let series = MetricCache<RouteKey, Series>()
    private let statusCounters = MetricCache<StatusKey, Counter>()

    /// Keys made of the request's own strings: nothing is built for a lookup.
    struct RouteKey: Hashable, Sendable {
        var method: String
        var route: String
    }

    struct StatusKey: Hashable, Sendable {
        var route: RouteKey
        var status: Int
    }

    static let buckets: [Duration] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map { .milliseconds($0) }

    public init(registry: PrometheusCollectorRegistry, flows: FlowWindows, routes: FlowRoutes) {
        self.registry = registry
        self.flows = flows
        self.routes = routes
        inFlight = registry.makeGauge(descriptor: .storefront("http", "requests", unit: "in_flight", help: "Requests being served"))
    }

    func record(method: String, route: String, status: Int, elapsed: Duration, inFlow: Bool = true) {
        let key = RouteKey(method: method, route: route)
        record(series(key), key, status: status, elapsed: elapsed, inFlow: inFlow)
    }

    /// A route's series, found once, for a caller that answers that route again and again (`MemoryReads`).
    func recorder(method: String, route: String) -> Recorder {
        let key = RouteKey(method: method, route: route)
        let series = series(key)
        return Recorder(metrics: self, key: key, series: series, ok: statusCounter(key, 200))
    }

    final class Recorder: Sendable {
        let metrics: RequestMetrics
        let key: RouteKey
        let series: Series
        let ok: Counter

        init(metrics: RequestMetrics, key: RouteKey, series: Series, ok: Counter) {
            self.metrics = metrics
            self.key = key
            self.series = series
            self.ok = ok
        }

        var route: String { key.route }

        func record(status: Int, elapsed: Duration) {
            metrics.record(series, key, status: status, elapsed: elapsed, inFlow: true, statusCounter: status == 200 ? ok : nil)
        }
    }

    private func record(_ series: Series, _ key: RouteKey, status: Int, elapsed: Duration, inFlow: Bool, statusCounter: Counter? = nil) {
        series.requests.increment()
        if status >= 500 { series.errors.increment() }
        series.duration.recordNanoseconds(elapsed.nanoseconds)
        (statusCounter ?? self.statusCounter(key, status)).increment()
        if inFlow, let flow = series.flow {
            let began = Int64((Date().timeIntervalSince1970 - elapsed.seconds).rounded(.down))
            flows.record(flow, milliseconds: elapsed.milliseconds, serverError: status >= 500, at: began)
        }
    }

    private func series(_ key: RouteKey) -> Series {
        series.metric(key) {
            let labels = [("method", key.method), ("route", key.route)]
            return Series(
                requests: registry.makeCounter(
                    descriptor: .storefront("http", "requests", unit: "total", help: "Requests answered, by route"),
                    labels: labels
                ),
                errors: registry.makeCounter(
                    descriptor: .storefront("http", "request_errors", unit: "total", help: "Requests answered with a 5xx, by route"),
                    labels: labels
                ),
                duration: registry.makeDurationHistogram(
                    descriptor: .storefront("http", "request_duration", unit: "seconds", help: "Time to answer, by route"),
                    labels: labels,
                    buckets: Self.buckets
                ),
                flow: routes.flow(method: key.method, route: key.route)
            )
        }
    }

    private func statusCounter(_ key: RouteKey, _ status: Int) -> Counter {
        statusCounters.metric(StatusKey(route: key, status: status)) {
            registry.makeCounter(
                descriptor: .storefront("http", "responses", unit: "total", help: "Responses, by route and status code"),
                labels: [("method", key.method), ("route", key.route), ("status", String(status))]
            )
        }
    }
}
