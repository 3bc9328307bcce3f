import Logging
import PostgresNIO
import ServiceLifecycle
import StorefrontHealth

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

    /// `SELECT 1` with a deadline shorter than the interval, so one hung query cannot stall the next sample.
    func sample() async -> HealthState.DatabaseSample {
        let start = ContinuousClock.now
        let deadline = health.sampleInterval * 0.8
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await client.query("SELECT 1", logger: logger)
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    return false
                }
                let answered = try await group.next() ?? false
                group.cancelAll()
                if !answered { throw ProbeTimeout() }
            }
            return .init(reachable: true, latency: .now - start, at: .now)
        } catch {
            let reason = error is ProbeTimeout ? "no answer within \(deadline)" : "query failed"
            return .init(reachable: false, latency: .now - start, at: .now, error: reason)
        }
    }

    struct ProbeTimeout: Error {}
}
