import HTTPTypes
import Hummingbird
import Logging
import StorefrontTracing
import Tracing

/// The server span of every request the router serves but the probes and `/metrics`: named by its route
/// once the router has matched it, with its status, region, request id and (from `FlowGroup`) its flow and
/// admission class. The trace id goes on the request's log lines and, in `traceresponse`, on its answer.
/// Everything the request runs below sees the span in `InstrumentationContext.current` (`Spans`).
struct TracingMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tracer: StorefrontTracer
    let trust: TraceParentTrust

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard !Self.untraced(path) else { return try await next(request, context) }
        var parentContext = InstrumentationContext.topLevel
        if trust.trusts(request.headers, from: context.channel.remoteAddress?.ipAddress) {
            tracer.extract(request.headers, into: &parentContext, using: HTTPFieldsExtractor())
        }
        let method = request.method.rawValue
        let span = tracer.startSpan(method, context: parentContext, ofKind: .server)
        span.set("http.request.method", method)
        span.set("url.path", path)
        span.set("storefront.region", tracer.region)
        span.set("storefront.request_id", context.requestID)
        var context = context
        context.logger[metadataKey: "trace_id"] = .string(span.traceID.hex)
        defer { span.end() }
        var response: Response
        do {
            response = try await InstrumentationContext.$current.withValue(span.context) { try await next(request, context) }
        } catch {
            // Below `ProblemMiddleware` nothing escapes but what Hummingbird answers itself (a 404 with no route).
            span.operationName = "\(method) \(context.endpointPath ?? "unmatched")"
            if let error = error as? any HTTPResponseError, error.status.code < 500 {
                span.set("http.response.status_code", Int(error.status.code))
            } else {
                span.recordError(error)
            }
            throw error
        }
        let route = context.endpointPath ?? "unmatched"
        span.operationName = "\(method) \(route)"
        span.set("http.route", route)
        span.set("http.response.status_code", Int(response.status.code))
        if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error, message: "HTTP \(response.status.code)")) }
        response.headers[.traceresponse] = span.traceParent.header
        return response
    }

    /// The probes and metrics, which orchestrators call as often as they like.
    static func untraced(_ path: String) -> Bool {
        path.hasPrefix("/health") || path == "/metrics" || path.hasPrefix("/debug/")
    }
}
