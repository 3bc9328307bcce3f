import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` with a client whose pool runs beside it in a task group, then cancels the pool and waits
    /// for it to close its connections: for commands and start-up steps that live outside a service group.
    public static func withRunning<Result: Sendable>(
        _ url: DatabaseURL, logger: Logger, maximumConnections: Int = 4, watch: PoolWatch = PoolWatch(),
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(
            configuration: url.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: watch.watching(logger))
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
