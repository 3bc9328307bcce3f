import AsyncAlgorithms
import Logging
import ServiceLifecycle
import StorefrontCore

/// The loop of a background service: `round` every interval until graceful shutdown. A failed round is
/// logged as `failure` and the next one retries; `activity` says what the service is doing, for a stop
/// that overruns.
func everyInterval(
    _ interval: Duration,
    activity: Activity,
    doing: String,
    failure: String,
    logger: Logger,
    _ round: @escaping @Sendable () async throws -> Void
) async {
    await cancelWhenGracefulShutdown {
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous) {
            do {
                activity.set(doing)
                try await round()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("\(failure)", metadata: ["error": "\(logDescription(of: error))"])
            }
            activity.set("waiting for the next round")
        }
    }
}
