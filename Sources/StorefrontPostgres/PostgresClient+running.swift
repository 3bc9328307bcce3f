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
        // Not a child task: the pool winds down in the background once cancelled. Waiting for it was seen to
        // hang when a connection attempt was in flight at the moment of cancellation.
        let pool = Task { await client.run() }
        defer { pool.cancel() }
        // A lease before run() has begun works but logs a warning that reads like a bug; let run() begin.
        try await Task.sleep(for: .milliseconds(10))
        return try await body(client)
    }

    /// `withTransaction`, but throwing what the body threw rather than PostgresNIO's wrapper, so callers can
    /// tell a domain error from a database failure.
    public func inTransaction<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> Result {
        do {
            return try await withTransaction(logger: logger, body)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }
}
