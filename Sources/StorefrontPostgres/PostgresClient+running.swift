import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` with a client whose pool is running, then shuts the pool down: for commands and start-up
    /// steps that live outside the service group.
    public static func withRunning<Result: Sendable>(
        _ url: DatabaseURL, logger: Logger, maximumConnections: Int = 4,
        _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
