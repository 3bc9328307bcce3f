import Hummingbird
import StorefrontCore
import StorefrontHealth
import HTTPTypes

/// Probes for orchestrators and the edge. They answer from the latest background samples and never
/// query a dependency themselves.
public struct HealthController: Sendable {
    let health: HealthState
    let region: Region

    public init(health: HealthState, region: Region) {
        self.health = health
        self.region = region
    }

    struct ProbeBody: Encodable {
        var status: String
        var region: String
        var reasons: [String]?
    }

    public func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("live") { _, _ in try respond(HealthState.Verdict(ok: true, reasons: [])) }
        group.get("startup") { _, _ in try respond(health.startup()) }
        group.get("ready") { _, _ in try respond(health.readiness()) }
    }

    private func respond(_ verdict: HealthState.Verdict) throws -> Response {
        let body = ProbeBody(status: verdict.ok ? "pass" : "fail", region: region.name, reasons: verdict.ok ? nil : verdict.reasons)
        var response = JSON.response(try JSON.encode(body), status: verdict.ok ? .ok : .serviceUnavailable, contentType: "application/health+json")
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
