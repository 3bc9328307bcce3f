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
    let dashboard: ByteBuffer
    let live: ByteBuffer
    /// The last answer of each readiness probe, encoded: it changes with an evaluation at most, and the edge
    /// and orchestrators ask many times between two.
    private let readyAnswers = LastAnswers()

    final class LastAnswers: Sendable {
        let byFlow = Mutex<[Flow?: (body: ProbeBody, encoded: ByteBuffer)]>([:])
    }

    public init(monitor: HealthMonitor, region: Region, access: ObserverAccess, routes: FlowRoutes) {
        self.monitor = monitor
        self.region = region
        self.access = access
        self.routes = routes
        dashboard = ByteBuffer(string: DashboardPage.html)
        live = ByteBuffer(bytes: (try? Self.encoder.encode(ProbeBody(status: "pass", region: region.name))) ?? Data())
    }

    struct ProbeBody: Encodable, Equatable {
        var status: String
        var region: String
        var flow: String?
        var reasons: [String]?
    }

    public func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("live") { _, _ in probe(encoded: live, ok: true) }
        group.get("startup") { _, _ in
            let verdict = monitor.startup()
            return try probe(
                ProbeBody(status: verdict.ok ? "pass" : "fail", region: region.name, reasons: verdict.reasons.nilIfEmpty),
                ok: verdict.ok
            )
        }
        group.get("ready") { _, _ in try ready(flow: nil) }
        group.get("ready/{flow}") { _, context in
            guard let flow = context.parameters.get("flow", as: Flow.self) else {
                throw Problem(.notFound, detail: "Unknown flow; the flows are \(Flow.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            return try ready(flow: flow)
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
        group.get("dashboard") { _, _ in
            var response = JSON.response(dashboard, contentType: "text/html; charset=utf-8")
            response.headers[.contentSecurityPolicy] = DashboardPage.contentSecurityPolicy
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    /// 200 while ready, even when degraded (`warn`): a degraded region still serves its shoppers.
    private func ready(flow: Flow?) throws -> Response {
        let verdict = monitor.readiness(for: flow)
        let node = monitor.latest?[flow.map(HealthReport.flowID) ?? HealthReport.regionID]
        let status = verdict.ok ? (node?.status ?? .healthy).checkStatus : HealthStatus.unhealthy.checkStatus
        var reasons = verdict.reasons
        if verdict.ok, let reason = node?.reason { reasons.append(reason) }
        let body = ProbeBody(status: status, region: region.name, flow: flow?.rawValue, reasons: reasons.nilIfEmpty)
        if let last = readyAnswers.byFlow.withLock({ $0[flow] }), last.body == body { return probe(encoded: last.encoded, ok: verdict.ok) }
        let encoded = ByteBuffer(bytes: try Self.encoder.encode(body))
        readyAnswers.byFlow.withLock { $0[flow] = (body, encoded) }
        return probe(encoded: encoded, ok: verdict.ok)
    }

    private func probe(_ body: some Encodable, ok: Bool) throws -> Response {
        probe(encoded: ByteBuffer(bytes: try Self.encoder.encode(body)), ok: ok)
    }

    private func probe(encoded: ByteBuffer, ok: Bool) -> Response {
        var response = JSON.response(encoded, status: ok ? .ok : .serviceUnavailable, contentType: "application/health+json")
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
