import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StorefrontCore
import StorefrontHealth
import Synchronization

/// Probes for orchestrators and the edge, the full model for people and tools, and the dashboard. Every
/// answer comes from the latest background evaluation: none of them touches a dependency.
public struct HealthController: Sendable {
    let monitor: HealthMonitor
    let region: Region
    let access: ObserverAccess
    /// Each flow's endpoints, for a troubled check's `affectedEndpoints`.
    let routes: FlowRoutes
    /// `GET /health/dashboard`: draws the region's health model as a graph — signals, components, flows,
    /// region — refreshed from `/health` every two seconds, with the cascade from every troubled signal
    /// highlighted; and, from `/health/history`, what happened before: a sparkline per signal, and a timeline
    /// of the state changes with the fault's start marked (`Health/Dashboard/`).
    let dashboard: ByteBuffer
    let dashboardPolicy: String
    let live: ByteBuffer
    /// The last answer of each readiness probe, encoded: it changes with an evaluation at most, and the edge
    /// and orchestrators ask many times between two.
    private let readyAnswers = LastAnswers()

    final class LastAnswers: Sendable {
        struct Answer {
            /// The monitor's version it was made at, and when it stops holding by itself.
            var version: UInt64
            var holdsUntil: ContinuousClock.Instant
            var ok: Bool
            var encoded: ByteBuffer
        }
        let byFlow = Mutex<[Flow?: Answer]>([:])
    }

    /// Throws when the dashboard's files are missing from the binary's resources.
    public init(monitor: HealthMonitor, region: Region, access: ObserverAccess, routes: FlowRoutes) throws(BundledResourceMissing) {
        self.monitor = monitor
        self.region = region
        self.access = access
        self.routes = routes
        let page = try SelfContainedPage(named: "dashboard", in: "Dashboard", title: "Storefront health", images: true)
        dashboard = ByteBuffer(string: page.html)
        dashboardPolicy = page.contentSecurityPolicy
        live = ByteBuffer(bytes: (try? Self.encoder.encode(ProbeBody(status: "pass", region: region.name))) ?? Data())
    }

    struct ProbeBody: Encodable, Equatable {
        var status: String
        var region: String
        var flow: String?
        var reasons: [String]?
    }

    public func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("live") { _, _ in try probe(.live) }
        group.get("startup") { _, _ in try probe(.startup) }
        group.get("ready") { _, _ in try probe(.ready(nil)) }
        group.get("ready/{flow}") { _, context in
            guard let flow = context.parameters.get("flow", as: Flow.self) else {
                throw Problem(.notFound, detail: "Unknown flow; the flows are \(Flow.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            return try probe(.ready(flow))
        }
        group.get { request, _ in
            let document = HealthDocument(
                report: monitor.latest,
                model: monitor.model,
                readiness: monitor.readiness(),
                started: monitor.startup().ok,
                drain: monitor.activeDrain(),
                endpoints: routes.endpoints(of:)
            )
            return try probe(access.mayReadDetails(request) ? document : document.redacted(), ok: document.ready)
        }
        group.get("history") { request, _ in
            guard access.mayReadDetails(request) else { throw ObserverAccess.refusal }
            let (entries, until, span) = monitor.history(after: try HealthHistoryDocument.since(request.uri.query))
            let document = HealthHistoryDocument(region: region.name, entries: entries, until: until, span: span)
            var response = JSON.response(ByteBuffer(bytes: try Self.encoder.encode(document)))
            response.headers[.cacheControl] = "no-store"
            return response
        }
        group.get("dashboard") { _, _ in
            var response = Response.bytes(dashboard, contentType: "text/html; charset=utf-8")
            response.headers[.contentSecurityPolicy] = dashboardPolicy
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    /// The probes an orchestrator or the edge asks many times a second; each answers from the latest
    /// evaluation, and `MemoryReads` answers them before the router does.
    public enum Probe: Sendable, Hashable {
        case live
        case startup
        /// Whether the region can serve its critical flows, or one of them.
        case ready(Flow?)
    }

    /// A probe's answer: pass (200) or fail (503), and its `application/health+json` body.
    public func answer(_ probe: Probe) throws -> (ok: Bool, body: ByteBuffer) {
        switch probe {
        case .live:
            return (true, live)
        case .startup:
            let verdict = monitor.startup()
            let body = ProbeBody(status: verdict.ok ? "pass" : "fail", region: region.name, reasons: verdict.reasons.nilIfEmpty)
            return (verdict.ok, ByteBuffer(bytes: try Self.encoder.encode(body)))
        case .ready(let flow):
            return try ready(flow: flow)
        }
    }

    /// 200 while ready, even when degraded (`warn`): a degraded region still serves its shoppers. Made once
    /// per change of what readiness reads, and answered from memory until the next: the edge and orchestrators
    /// ask many times between two evaluations.
    private func ready(flow: Flow?) throws -> (ok: Bool, body: ByteBuffer) {
        let version = monitor.version
        let now = ContinuousClock.now
        if let last = readyAnswers.byFlow.withLock({ $0[flow] }), last.version == version, now < last.holdsUntil {
            return (last.ok, last.encoded)
        }
        let verdict = monitor.readiness(for: flow, instant: now)
        let node = monitor.latest?[flow.map(HealthReport.flowID) ?? HealthReport.regionID]
        let status = verdict.ok ? (node?.status ?? .healthy).checkStatus : HealthStatus.unhealthy.checkStatus
        var reasons = verdict.reasons
        if verdict.ok, let reason = node?.reason { reasons.append(reason) }
        let body = ProbeBody(status: status, region: region.name, flow: flow?.rawValue, reasons: reasons.nilIfEmpty)
        let encoded = ByteBuffer(bytes: try Self.encoder.encode(body))
        let answer = LastAnswers.Answer(version: version, holdsUntil: monitor.readinessHolds(instant: now), ok: verdict.ok, encoded: encoded)
        readyAnswers.byFlow.withLock { $0[flow] = answer }
        return (verdict.ok, encoded)
    }

    private func probe(_ probe: Probe) throws -> Response {
        let (ok, body) = try answer(probe)
        return Self.response(body, ok: ok)
    }

    private func probe(_ body: some Encodable, ok: Bool) throws -> Response {
        Self.response(ByteBuffer(bytes: try Self.encoder.encode(body)), ok: ok)
    }

    static let contentType = "application/health+json"

    private static func response(_ encoded: ByteBuffer, ok: Bool) -> Response {
        var response = Response.bytes(encoded, status: ok ? .ok : .serviceUnavailable, contentType: contentType)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The health draft names its fields in camelCase; the document spells out its own snake_case keys.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
