import Foundation
import Hummingbird
import Logging
import StorefrontCore
import StorefrontHealth

/// Takes the region out of rotation and back, behind the admin token. Draining only turns readiness to 503:
/// the region goes on serving whatever still reaches it, so no request fails because of a drain.
///
/// The drain is the region's: kept in its database, whichever instance receives it, and followed by every
/// instance (`RegionSession`); the instance that received it follows at once.
public struct DrainController: Sendable {
    let monitor: HealthMonitor
    let drains: any RegionDrains
    let adminToken: String?

    public init(monitor: HealthMonitor, drains: any RegionDrains, adminToken: String?) {
        self.monitor = monitor
        self.drains = drains
        self.adminToken = adminToken
    }

    struct DrainRequest: Decodable {
        var reason: String
        var requestedBy: String?
        var expiresInSeconds: Int?
    }

    struct DrainStateBody: ResponseEncodable {
        var draining: Bool
        var reason: String?
        var requestedBy: String?
        var since: Date?
        var until: Date?

        init(_ drain: Drain?) {
            draining = drain != nil
            reason = drain?.reason
            requestedBy = drain?.requestedBy
            since = drain?.since
            until = drain?.until
        }
    }

    public func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let admin = group.group("admin").add(middleware: AdminAuthMiddleware(token: adminToken))
        admin.post("drain") { request, context in
            let body = try await request.decode(as: DrainRequest.self, context: context)
            let drain = try Self.validate(body)
            monitor.regionDrainChanged(try await drains.drain(drain))
            context.logger.notice(
                "region drained",
                metadata: [
                    "reason": .string(drain.reason), "requested_by": .string(drain.requestedBy),
                    "until": .string(drain.until?.formatted(.iso8601) ?? "lifted by hand"),
                ]
            )
            return DrainStateBody(drain)
        }
        admin.post("undrain") { _, context in
            monitor.regionDrainChanged(try await drains.lift())
            context.logger.notice("region undrained")
            return DrainStateBody(monitor.activeDrain())
        }
        // What this instance honours: the region's drain, or its own while it stops.
        admin.get("drain") { _, _ in DrainStateBody(monitor.activeDrain()) }
    }

    static func validate(_ body: DrainRequest) throws -> Drain {
        var problems: [FieldError] = []
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if !(1...200).contains(reason.count) { problems.append(.init(field: "reason", detail: "must be 1 to 200 characters")) }
        let requestedBy = body.requestedBy?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "admin"
        if !(1...100).contains(requestedBy.count) { problems.append(.init(field: "requested_by", detail: "must be 1 to 100 characters")) }
        if let seconds = body.expiresInSeconds, !(1...604_800).contains(seconds) {
            problems.append(.init(field: "expires_in_seconds", detail: "must be 1 to 604800 (a week)"))
        }
        guard problems.isEmpty else { throw StorefrontError.invalidRequest(problems) }
        let now = Date()
        return Drain(
            reason: reason,
            requestedBy: requestedBy,
            since: now,
            until: body.expiresInSeconds.map { now.addingTimeInterval(TimeInterval($0)) }
        )
    }
}
