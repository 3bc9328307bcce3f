import Foundation
import Logging
import ServiceLifecycle
import StorefrontCore
import StorefrontHealth

/// On SIGTERM (or SIGINT), first turns readiness to 503 and keeps serving for the grace period, so the edge
/// and orchestrators stop sending new shoppers here; only then does the server stop accepting and finish
/// the requests in flight. It must run after the application in the service group, which shuts services
/// down in reverse order.
struct DrainOnShutdown: Service {
    let monitor: HealthMonitor
    let grace: Duration
    let logger: Logger

    init(monitor: HealthMonitor, grace: Duration, logger: Logger) {
        self.monitor = monitor
        self.grace = grace
        self.logger = logger
    }

    func run() async throws {
        try? await gracefulShutdown()
        guard !Task.isCancelled else { return }
        monitor.drainInstance(Drain(reason: "shutting down", requestedBy: "SIGTERM", until: nil))
        logger.notice("draining before shutdown", metadata: ["grace_ms": .stringConvertible(Int(grace.milliseconds))])
        try? await Task.sleep(for: grace)
    }
}
