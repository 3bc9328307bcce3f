import Hummingbird
import Prometheus

/// Rate, errors and duration per route for `/metrics`, and per flow for the health model.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: RequestMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        let record = { (status: Int) in
            metrics.record(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status, elapsed: .now - start)
        }
        do {
            let response = try await next(request, context)
            // Saturation is not failure: a request shed by admission control counts in its route's series,
            // not in its flow's errors.
            if response.headers[.shed] != nil {
                metrics.record(
                    method: request.method.rawValue,
                    route: context.endpointPath ?? "unmatched",
                    status: response.status.code,
                    elapsed: .now - start,
                    inFlow: false
                )
            } else {
                record(response.status.code)
            }
            return response
        } catch {
            record((error as? any HTTPResponseError)?.status.code ?? 500)
            throw error
        }
    }
}
