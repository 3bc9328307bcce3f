import Foundation
import HTTPTypes
import Logging
import NIOCore
import StorefrontCore
import StorefrontHealth
import StorefrontTracing
import Synchronization
import Tracing

/// The reads answered from memory before the router: the probes and the product pages the catalog holds.
/// The app's `MemoryReadHandler` asks for them on the connection's event loop, so that a memory read costs
/// the HTTP codec and its bytes, not a hand-off to a task and back. Each answer is what the router answers
/// for the same request, headers and bytes alike but for `X-Request-ID` and `Date` (`MemoryReadTests`),
/// and it is counted and logged as the router's would be. Anything else is nil, for the router.
public struct MemoryReads: Sendable {
    let health: HealthController
    let cache: CatalogCache
    let region: Region
    let accessLog: AccessLogSampling
    /// Each memory route's series, found once: live, startup, ready, ready for a flow, a product page.
    let recorders:
        (
            live: RequestMetrics.Recorder, startup: RequestMetrics.Recorder, ready: RequestMetrics.Recorder,
            readyFlow: RequestMetrics.Recorder, product: RequestMetrics.Recorder
        )
    let logger: Logger
    /// What the server names itself in `Server`, as the router's answers do.
    let serverName: String
    /// Product pages are traced as the router's requests are; probes are not.
    let tracing: (tracer: StorefrontTracer, trust: TraceParentTrust)?

    public init(
        health: HealthController,
        cache: CatalogCache,
        region: Region,
        metrics: RequestMetrics,
        accessLog: AccessLogSampling,
        logger: Logger,
        serverName: String,
        tracing: (tracer: StorefrontTracer, trust: TraceParentTrust)? = nil
    ) {
        self.health = health
        self.cache = cache
        self.region = region
        self.accessLog = accessLog
        func recorder(_ route: String) -> RequestMetrics.Recorder { metrics.recorder(method: "GET", route: route) }
        recorders = (
            recorder("/health/live"), recorder("/health/startup"), recorder("/health/ready"), recorder("/health/ready/{flow}"),
            recorder(Self.productRoute)
        )
        self.logger = logger
        self.serverName = serverName
        self.tracing = tracing
    }

    /// The answer to `request` (a GET with no body) from `peer` if it is a memory read that can be answered now.
    public func answer(
        _ request: HTTPRequest,
        started: ContinuousClock.Instant,
        peer: () -> String? = { nil }
    ) -> (head: HTTPResponse, body: ByteBuffer)? {
        guard request.method == .get, let path = request.path, !path.utf8.contains(UInt8(ascii: "?")),
            let (recorder, status, contentType, body) = read(path)
        else { return nil }
        var head = HTTPResponse(status: status)
        head.headerFields[.contentType] = contentType
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.cacheControl] = "no-store"
        let requestID = StandardHeadersMiddleware.id(offered: request.headerFields[.requestID])
        StandardHeadersMiddleware.finish(&head.headerFields, requestID: requestID, region: region)
        head.headerFields[.date] = HTTPDate.now()
        head.headerFields[.server] = serverName
        let elapsed = ContinuousClock.now - started
        recorder.record(status: status.code, elapsed: elapsed)
        var traceID: TraceID?
        if let tracing, recorder === recorders.product {
            let served = trace(request, path: path, requestID: requestID, status: status, elapsed: elapsed, peer: peer, with: tracing)
            head.headerFields[.traceresponse] = served.header
            traceID = served.traceID
        }
        var logger = logger
        logger[metadataKey: "request_id"] = .string(requestID)
        accessLog.log(method: "GET", path: path, route: recorder.route, status: status.code, elapsed: elapsed, traceID: traceID, to: logger)
        return (head, body)
    }

    private func trace(
        _ request: HTTPRequest,
        path: String,
        requestID: String,
        status: HTTPResponse.Status,
        elapsed: Duration,
        peer: () -> String?,
        with tracing: (tracer: StorefrontTracer, trust: TraceParentTrust)
    ) -> TraceParent {
        let parent =
            request.headerFields[.traceparent] != nil && tracing.trust.trusts(request.headerFields, from: peer())
            ? HTTPFieldsExtractor().extract(key: "traceparent", from: request.headerFields).flatMap(TraceParent.init(header:)) : nil
        let end = DefaultTracerClock.now.nanosecondsSinceEpoch
        return tracing.tracer.quickRequest(
            "GET \(Self.productRoute)",
            parent: parent,
            startNanos: end &- UInt64(max(0, elapsed.nanoseconds)),
            endNanos: end
        ) {
            [
                "http.request.method": "GET", "http.route": .string(Self.productRoute), "url.path": .string(path),
                "http.response.status_code": .int64(Int64(status.code)), "storefront.region": .string(region.name),
                "storefront.request_id": .string(requestID), "storefront.flow": .string(Flow.browse.rawValue),
                "storefront.served_from": "memory",
            ]
        }
    }

    /// The route's recorder, status, content type and body of a memory read; nil for the router.
    private func read(_ path: String) -> (RequestMetrics.Recorder, HTTPResponse.Status, contentType: String, body: ByteBuffer)? {
        if path.hasPrefix(Self.productPrefix) {
            guard let id = UUID(hexadecimal: path.dropFirst(Self.productPrefix.count)), let page = cache.detail(id) else { return nil }
            return (recorders.product, .ok, "application/json", page)
        }
        let probe: (recorder: RequestMetrics.Recorder, probe: HealthController.Probe)
        switch path {
        case "/health/live": probe = (recorders.live, .live)
        case "/health/startup": probe = (recorders.startup, .startup)
        case "/health/ready": probe = (recorders.ready, .ready(nil))
        default:
            guard path.hasPrefix(Self.flowPrefix), let flow = Flow(rawValue: String(path.dropFirst(Self.flowPrefix.count))) else {
                return nil
            }
            probe = (recorders.readyFlow, .ready(flow))
        }
        guard let (ok, body) = try? health.answer(probe.probe) else { return nil }
        return (probe.recorder, ok ? .ok : .serviceUnavailable, HealthController.contentType, body)
    }

    static let productPrefix = "/v1/products/"
    static let productRoute = "/v1/products/{id}"
    static let flowPrefix = "/health/ready/"
}

/// `Date` for an answer, made once a second.
enum HTTPDate {
    private static let last = Mutex<(second: Int, text: String)>((0, ""))

    static func now() -> String {
        let second = Int(Date().timeIntervalSince1970)
        if let text = last.withLock({ $0.second == second ? $0.text : nil }) { return text }
        let text = UTCTimestamp.httpDate(seconds: second)
        last.withLock { $0 = (second, text) }
        return text
    }
}
