import Logging
import NIOCore
import PostgresNIO
import StorefrontCore
import Synchronization

// Every query of the store goes through `rows` (or `run`), never PostgresNIO's `query` directly.
//
// PostgresNIO 1.33.2 writes a query to its channel with no write promise. A query written to a connection
// whose channel has just closed — the server restarted, an idle connection was cut, the pool closed it, a
// transaction's ROLLBACK after its connection died — is dropped with its result promise, and the caller
// waits forever: no error, no timeout, and cancellation does not reach it. Reproduced in
// `QueryGuardTests`. Waiting instead for whichever comes first, the answer or the channel's close,
// ends every query.
//
// A query in flight cannot be cancelled either. Here cancelling the task closes the connection: PostgreSQL
// offers no other way to stop a query from the client side, the server abandons it
// (`client_connection_check_interval`), and the pool replaces the connection.

extension PostgresConnection {
    /// Runs `query` and returns all its rows; ends with `ConnectionClosed` if the connection closes first,
    /// and with `CancellationError` (closing the connection) if the task is cancelled.
    public func rows(_ query: PostgresQuery, logger: Logger = unlogged, file: String = #fileID, line: Int = #line) async throws -> [PostgresRow] {
        let cancelled = Atomic(false)
        let answer: EventLoopFuture<PostgresQueryResult> = self.query(query, logger: logger, file: file, line: line)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[PostgresRow], any Error>) in
                let resumed = Atomic(false)
                let finish: @Sendable (Result<[PostgresRow], any Error>) -> Void = { result in
                    if !resumed.exchange(true, ordering: .acquiringAndReleasing) { continuation.resume(with: result) }
                }
                let token = CloseWatch.shared.enter(self) {
                    finish(.failure(cancelled.load(ordering: .acquiring) ? CancellationError() : ConnectionClosed()))
                }
                answer.whenComplete { result in
                    CloseWatch.shared.leave(self, token: token)
                    finish(result.map(\.rows))
                }
            }
        } onCancel: {
            cancelled.store(true, ordering: .releasing)
            let closing: EventLoopFuture<Void> = self.close()
            closing.whenComplete { _ in }
        }
    }

    /// Runs a statement whose rows, if any, do not matter.
    public func run(_ query: PostgresQuery, logger: Logger = unlogged, file: String = #fileID, line: Int = #line) async throws {
        _ = try await rows(query, logger: logger, file: file, line: line)
    }
}

extension PostgresClient {
    /// `query` on a pooled connection, with `PostgresConnection.rows`' guarantees.
    public func rows(_ query: PostgresQuery, logger: Logger = unlogged, file: String = #fileID, line: Int = #line) async throws -> [PostgresRow] {
        try await withConnection { connection in try await connection.rows(query, logger: logger, file: file, line: line) }
    }

    public func run(_ query: PostgresQuery, logger: Logger = unlogged, file: String = #fileID, line: Int = #line) async throws {
        _ = try await rows(query, logger: logger, file: file, line: line)
    }

    /// Runs `body` in a transaction on one pooled connection: committed when `body` returns, rolled back when
    /// it throws. Throws what `body` threw. A connection that died is not sent a ROLLBACK (its server
    /// session rolled back with it), so no statement ever goes to a closed connection.
    public func transaction<Result: Sendable>(
        logger: Logger,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> Result {
        try await withConnection { connection in
            try await connection.run("BEGIN", logger: logger)
            let result: Result
            do {
                result = try await body(connection)
            } catch {
                if !connection.isClosed { try? await connection.run("ROLLBACK", logger: logger) }
                throw error
            }
            try await connection.run("COMMIT", logger: logger)
            return result
        }
    }
}

/// For callers with nothing to log a query to.
public let unlogged = Logger(label: "storefront-postgres-unlogged") { _ in SwiftLogNoOpLogHandler() }

/// The connection closed before its query was answered; worth a retry on another connection.
public struct ConnectionClosed: Error, TransientFailure, CustomStringConvertible {
    public init() {}
    public var isTransient: Bool { true }
    public var outcomeUnknown: Bool { true }
    public var description: String { "the database connection closed before the query was answered" }
}

extension Array where Element == PostgresRow {
    /// Each row decoded as the tuple or type `columns`.
    public func decode<each Column: PostgresDecodable>(_ columns: (repeat each Column).Type) throws -> [(repeat each Column)] {
        try map { try $0.decode(columns) }
    }
}
