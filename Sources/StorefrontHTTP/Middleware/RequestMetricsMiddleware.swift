import Hummingbird
import Prometheus
import StorefrontCore
import StorefrontHealth
import Synchronization

/// Rate, errors and duration per route for `/metrics`, and per flow for the health model.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: RequestMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        do {
            let response = try await next(request, context)
            metrics.record(
                method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: response.status.code, elapsed: .now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.record(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status, elapsed: .now - start)
            throw error
        }
    }
}

/// The per-route series, created on a route's first request and kept for the life of the process.
public final class RequestMetrics: Sendable {
    struct Series {
        let requests: Counter
        let errors: Counter
        let duration: DurationHistogram
    }

    let registry: PrometheusCollectorRegistry
    let flows: FlowWindows
    let inFlight: Gauge
    private let series = Mutex<[String: Series]>([:])
    private let statusCounters = Mutex<[String: Counter]>([:])

    static let buckets: [Duration] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map { .milliseconds($0) }

    public init(registry: PrometheusCollectorRegistry, flows: FlowWindows) {
        self.registry = registry
        self.flows = flows
        inFlight = registry.makeGauge(descriptor: .storefront("http", "requests", unit: "in_flight", help: "Requests being served"))
    }

    func record(method: String, route: String, status: Int, elapsed: Duration) {
        let key = method + " " + route
        let series = series.withLock { all in
            if let existing = all[key] { return existing }
            let labels = [("method", method), ("route", route)]
            let made = Series(
                requests: registry.makeCounter(
                    descriptor: .storefront("http", "requests", unit: "total", help: "Requests answered, by route"), labels: labels),
                errors: registry.makeCounter(
                    descriptor: .storefront("http", "request_errors", unit: "total", help: "Requests answered with a 5xx, by route"),
                    labels: labels),
                duration: registry.makeDurationHistogram(
                    descriptor: .storefront("http", "request_duration", unit: "seconds", help: "Time to answer, by route"),
                    labels: labels, buckets: Self.buckets)
            )
            all[key] = made
            return made
        }
        series.requests.increment()
        if status >= 500 { series.errors.increment() }
        series.duration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        statusCounter(method: method, route: route, status: status).increment()
        if let flow = Flow(method: method, route: route) {
            flows.record(flow, milliseconds: elapsed.milliseconds, serverError: status >= 500)
        }
    }

    private func statusCounter(method: String, route: String, status: Int) -> Counter {
        let key = "\(method) \(route) \(status)"
        return statusCounters.withLock { all in
            if let existing = all[key] { return existing }
            let counter = registry.makeCounter(
                descriptor: .storefront("http", "responses", unit: "total", help: "Responses, by route and status code"),
                labels: [("method", method), ("route", route), ("status", String(status))])
            all[key] = counter
            return counter
        }
    }
}

extension MetricNameDescriptor {
    /// A `storefront_<subsystem>_<name>_<unit>` series.
    public static func storefront(_ subsystem: String, _ name: String, unit: String, help: String) -> Self {
        MetricNameDescriptor(namespace: "storefront", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }
}
