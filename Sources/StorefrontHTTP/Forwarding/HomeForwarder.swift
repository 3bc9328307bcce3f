import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import StorefrontCore
import StorefrontHealth
import StorefrontMetrics
import StorefrontTracing
import Tracing

/// Decides where a request for a cart or an order is served: in the region that owns it while that region
/// is live and ready for the request's flow, here otherwise.
///
/// Serving a foreign cart here means adopting it, which forks it: the shopper's next request through the
/// home region would find the old cart, and a checkout could become two orders. So a region forwards to
/// the home whenever it can, and adopts only when the home is down by its own health model, refuses the
/// forward as unready, or cannot be connected to. A forwarded request is served where it arrives: a region
/// never forwards twice.
public struct HomeForwarder: Sendable {
    let region: Region
    let peers: [Region]
    let forwarder: (any PeerForwarder)?
    let secret: String?
    let monitor: HealthMonitor
    let outcomes: MetricCache<String, Counter>
    let registry: PrometheusCollectorRegistry

    /// Without `secret` no request is forwarded, and a forwarded one is refused.
    public init(
        region: Region,
        peers: [Region],
        forwarder: (any PeerForwarder)?,
        secret: String?,
        monitor: HealthMonitor,
        registry: PrometheusCollectorRegistry
    ) {
        self.region = region
        self.peers = peers
        self.forwarder = secret == nil ? nil : forwarder
        self.secret = secret
        self.monitor = monitor
        self.registry = registry
        self.outcomes = MetricCache()
    }

    /// Serves the request for `id` here (`here`, given the body already read) or in its home region.
    func serve(
        _ request: Request,
        body: ByteBuffer? = nil,
        id: UUID,
        context: AppRequestContext,
        here: () async throws -> Response
    ) async throws -> Response {
        if let sender = request.headers[.forwardedBy] {
            guard let secret, let offered = request.headers[.peerSecret], secretsMatch(offered, secret) else {
                // Marked, so that a region whose secret differs (a rollout half done) adopts rather than
                // passing the refusal on to its shopper.
                var problem = Problem(.forbidden, detail: "Only a region may forward a request.")
                problem.headers[HTTPField.Name.peerRefused.rawName] = "secret"
                throw problem
            }
            // The home decides for what it owns: when it cannot serve the flow it does nothing and says so,
            // and the sender adopts. Every route served through here is registered with its flow.
            if let flow = context.flow {
                let verdict = monitor.readiness(for: flow)
                guard verdict.ok else {
                    context.logger.notice("refused a forwarded request: not ready", metadata: ["from": "\(sender)", "flow": "\(flow.rawValue)"])
                    var problem = Problem(
                        .unavailable,
                        detail: "Region \(region) is not ready for \(flow.rawValue): \(verdict.reasons.joined(separator: "; "))"
                    )
                    problem.headers[HTTPField.Name.homeUnready.rawName] = flow.rawValue
                    return ProblemMiddleware.response(problem)
                }
            }
            return try await here()
        }
        guard let forwarder, let home = id.home(among: [region] + peers), home != region else { return try await here() }
        guard !isDown(home) else {
            count(home, "adopted_home_down")
            return try await here()
        }
        // The request id this region gave the request, so both regions' logs carry the same one.
        var headers: [(name: String, value: String)] = [(HTTPField.Name.requestID.rawName, context.requestID)]
        for name in ForwardedRequest.carried {
            for value in request.headers[values: name] { headers.append((name.rawName, value)) }
        }
        // Path and query only: the home's address is this region's to choose, never the request's.
        let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        let started = ContinuousClock.now
        let outcome = await Spans.withSpan("forward to \(home)", ofKind: .client) { span in
            if let span {
                // The home's spans join this trace under this one.
                headers.append((HTTPField.Name.traceparent.rawName, span.traceParent.header))
                if let state = span.traceState { headers.append((HTTPField.Name.tracestate.rawName, state)) }
                span.set("storefront.home", home.name)
                span.set("http.request.method", request.method.rawValue)
            }
            let outcome = await forwarder.forward(ForwardedRequest(method: request.method, target: target, headers: headers, body: body), to: home)
            span?.record(outcome)
            return outcome
        }
        switch outcome {
        case .answered(let status, let headers, let body):
            count(home, "answered")
            var fields = HTTPFields()
            for (name, value) in headers {
                // This region's `traceresponse` names the trace as the shopper's request began it.
                if let name = HTTPField.Name(name), !Self.hopByHop.contains(name), name != .traceresponse {
                    fields.append(HTTPField(name: name, value: value))
                }
            }
            context.logger.debug(
                "forwarded to the home region",
                metadata: [
                    "home": "\(home)", "status": "\(status)", "ms": "\((ContinuousClock.now - started).milliseconds)",
                ]
            )
            return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: body))
        case .unready(let why):
            count(home, "adopted_home_unready")
            context.logger.notice("the home region refused a forward: serving here", metadata: ["home": "\(home)", "reason": "\(why)"])
            return try await here()
        case .unreachable(let why):
            count(home, "adopted_home_unreachable")
            context.logger.warning("the home region is unreachable: serving here", metadata: ["home": "\(home)", "reason": "\(why)"])
            return try await here()
        case .lost(let why):
            count(home, "lost")
            context.logger.warning("a forward to the home region got no answer", metadata: ["home": "\(home)", "reason": "\(why)"])
            // A read is safe to serve from the replica; a write may have happened there, and doing it here as
            // well could make it twice.
            if request.method == .get { return try await here() }
            var problem = Problem(
                .unavailable,
                detail:
                    "Region \(home), which owns this, took the request but did not answer. It may have been done: retry it unchanged (with the same Idempotency-Key) to learn the outcome."
            )
            problem.headers["Retry-After"] = "1"
            throw problem
        }
    }

    /// Whether this region's latest evaluation, which probes every peer's `/health/live`, found the peer
    /// down. Without a verdict the forward is tried: a home that is really gone fails to connect at once,
    /// and adopting without cause would fork the cart.
    private func isDown(_ peer: Region) -> Bool {
        monitor.latest?[HealthReport.signalID(.peerLive(peer.name))]?.status == .unhealthy
    }

    private func count(_ home: Region, _ outcome: String) {
        outcomes.metric("\(home) \(outcome)") {
            registry.makeCounter(
                descriptor: .storefront(
                    "forwarded",
                    "requests",
                    unit: "total",
                    help: "Requests for a cart or order homed in another region, by home and outcome"
                ),
                labels: [("home", home.name), ("outcome", outcome)]
            )
        }.increment()
    }

    /// Headers of one connection, not of the answer: the connection to the shopper has its own.
    static let hopByHop: Set<HTTPField.Name> = [
        .connection, .transferEncoding, .contentLength, .te, .trailer, .upgrade, .init("Proxy-Connection")!, .init("Keep-Alive")!,
    ]
}

extension HTTPField.Name {
    /// On a request a region forwards: the sending region's name.
    public static let forwardedBy = Self("Storefront-Forwarded-By")!
    /// On a request a region forwards: the secret every region shares.
    public static let peerSecret = Self("Storefront-Peer-Secret")!
    /// On a forwarded request's 503: the home served nothing, as it is not ready for this flow.
    public static let homeUnready = Self("Storefront-Home-Unready")!
    /// On a forwarded request's 403: the home did not accept the peer secret, and served nothing.
    public static let peerRefused = Self("Storefront-Peer-Refused")!
}

extension TraceSpan {
    /// A forward's outcome on its client span: the home's status, or why there was none.
    fileprivate func record(_ outcome: ForwardOutcome) {
        switch outcome {
        case .answered(let status, _, _):
            set("http.response.status_code", status)
            if status >= 500 { setStatus(SpanStatus(code: .error, message: "HTTP \(status)")) }
        case .unready: set("storefront.forward.outcome", "unready")
        case .unreachable: set("storefront.forward.outcome", "unreachable")
        case .lost:
            set("storefront.forward.outcome", "lost")
            setStatus(SpanStatus(code: .error, message: "no answer from the home region"))
        }
    }
}
