import Logging
import PostgresNIO
import ServiceLifecycle
import StorefrontHealth
import Synchronization

/// Samples the database in the background; probes read the samples and never query the database.
struct DatabaseProbe: Service {
    let client: PostgresClient
    let health: HealthState
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                health.record(await sample())
                try? await Task.sleep(for: health.sampleInterval)
            }
        }
    }

    /// `SELECT 1` with a deadline shorter than the interval. The query runs in a task of its own that the
    /// sample does not wait for past the deadline: a query stuck on a dead connection can delay neither the
    /// next sample nor shutdown.
    func sample() async -> HealthState.DatabaseSample {
        let start = ContinuousClock.now
        let deadline = health.sampleInterval * 0.8
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let resumed = Mutex(false)
            let finish: @Sendable (String?) -> Void = { failure in
                if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: failure) }
            }
            let query = Task {
                do {
                    try await client.query("SELECT 1", logger: logger)
                    finish(nil)
                } catch {
                    finish("query failed")
                }
            }
            Task {
                try? await Task.sleep(for: deadline)
                finish("no answer within \(deadline)")
                query.cancel()
            }
        }
        return .init(reachable: outcome == nil, latency: .now - start, at: .now, error: outcome)
    }

}
