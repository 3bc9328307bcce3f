import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` with a client whose pool runs beside it, then cancels the pool and waits for it to close its
    /// connections: for commands and start-up steps that live outside a service group.
    ///
    /// `body` runs in a child task of its own, a sibling of the pool's, never in the task that owns the pool.
    /// The pool's cancellation handler fails the leases still waiting, resuming their tasks while holding the
    /// pool task's status lock; a task that owns the pool is cancelled top-down, holding its own lock while it
    /// reaches for the pool task's. With a lease waiting in the owner, the two cancellations — the owner's
    /// and the pool's own on graceful shutdown — deadlocked every thread (`PoolShutdownRaceTests`).
    public static func withRunning<Result: Sendable>(
        _ url: DatabaseURL,
        logger: Logger,
        maximumConnections: Int = 4,
        watch: PoolWatch = PoolWatch(),
        _ body: @escaping @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(
            configuration: url.clientConfiguration(maximumConnections: maximumConnections),
            backgroundLogger: watch.watching(logger)
        )
        return try await withThrowingTaskGroup(of: Result?.self, returning: Result.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            group.addTask { try await body(client) }
            defer { group.cancelAll() }
            while let finished = try await group.next() {
                if let result = finished { return result }
            }
            throw CancellationError()
        }
    }
}
