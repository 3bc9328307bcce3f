import Logging
import NIOCore
import PostgresNIO
import StorefrontCore
import StorefrontExecutors
import StorefrontTracing
import Tracing

// Every statement of the store goes through `rows` (or `run`), never PostgresNIO's `query` or `execute`
// directly.
//
// PostgresNIO 1.33.2 writes a statement to its channel with no write promise. One written to a connection
// whose channel has just closed — the server restarted, an idle connection was cut, the pool closed it, a
// transaction's ROLLBACK after its connection died — is dropped with its result promise, and the caller
// waits for ever: no error, no timeout, and cancellation does not reach it. Reproduced in
// `QueryGuardTests`. The channel closes on its event loop, and a write made on that loop reaches the
// channel's handlers at once; once written there, a statement is answered or failed whatever happens to the
// connection. So every statement is written on its connection's loop, right after checking there that the
// connection is open: prepared and unnamed statements alike, with nothing in between that could let the
// channel close first.
//
// A statement in flight cannot be cancelled either. Here cancelling the task closes the connection:
// PostgreSQL offers no other way to stop a statement from the client side, the server abandons it
// (`client_connection_check_interval`), and the pool replaces the connection.

extension PostgresConnection {
    /// Runs `query` and returns all its rows; ends with `ConnectionClosed` if the connection is closed, and
    /// with `CancellationError` (closing the connection) if the task is cancelled.
    public func rows(_ query: PostgresQuery, logger: Logger = unlogged, file: String = #fileID, line: Int = #line) async throws -> [PostgresRow] {
        try await Spans.withSpan(StatementSpan.summary(of: query.sql), ofKind: .client) { span in
            span?.describeStatement(query.sql)
            let rows = try await guarded {
                // Written by this call, on the loop; the future is answered or failed by the channel's handler.
                let answer: EventLoopFuture<PostgresQueryResult> = self.query(query, logger: logger, file: file, line: line)
                return try await answer.get().rows
            }
            span?.set("db.response.returned_rows", rows.count)
            return rows
        }
    }

    /// Runs a statement whose rows, if any, do not matter.
    public func run(_ query: PostgresQuery, logger: Logger = unlogged, file: String = #fileID, line: Int = #line) async throws {
        _ = try await rows(query, logger: logger, file: file, line: line)
    }

    /// Runs a prepared statement (prepared on this connection the first time it runs here) and returns its
    /// decoded rows, with the same guarantees as an unnamed query.
    public func rows<Statement: PostgresPreparedStatement>(
        _ statement: Statement,
        logger: Logger = unlogged,
        file: String = #fileID,
        line: Int = #line
    ) async throws -> [Statement.Row] {
        try await Spans.withSpan(String(describing: Statement.self), ofKind: .client) { span in
            span?.describeStatement(Statement.sql)
            let rows = try await guarded {
                // `execute` writes before its first suspension, so on the loop.
                var rows: [Statement.Row] = []
                for try await row in try await self.execute(statement, logger: logger, file: file, line: line) {
                    rows.append(row)
                }
                return rows
            }
            span?.set("db.response.returned_rows", rows.count)
            return rows
        }
    }

    /// Runs `send` on this connection's event loop once the connection is seen open there; `send` must write
    /// its statement before it first suspends.
    func guarded<Result>(_ send: () async throws -> Result) async throws -> Result {
        let result = try await withTaskExecutorPreference(LoopExecutor.of(eventLoop)) {
            // The preference takes effect when the task next suspends: until it is on the loop, it yields.
            if !eventLoop.inEventLoop { await Task.yield() }
            guard eventLoop.inEventLoop else { throw NotOnTheConnectionsLoop() }
            do {
                return try await withTaskCancellationHandler {
                    // Checked here: a task cancelled already has closed the connection just now, on this loop.
                    guard !isClosed else { throw ConnectionClosed() }
                    return try await send()
                } onCancel: {
                    let closing: EventLoopFuture<Void> = self.close()
                    closing.whenComplete { _ in }
                }
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == UnreadableStoredValue.sqlState {
                throw UnreadableStoredValue(what: error.serverInfo?[.message] ?? "a stored value this binary does not know")
            } catch {
                // The statement failed because cancelling closed its connection: say why.
                if Task.isCancelled { throw CancellationError() }
                throw error
            }
        }
        // Back to the concurrency pool for what the caller makes of the answer: the loop serves sockets.
        await Task.yield()
        return result
    }
}

/// The task did not move to its connection's event loop, which `PostgresConnection.guarded` needs before it
/// writes: a change in Swift's executors, never a database failure.
struct NotOnTheConnectionsLoop: Error, CustomStringConvertible {
    var description: String { "a statement's task did not move to its connection's event loop" }
}

extension PostgresClient {
    /// Runs `body` with a pooled connection that is open when `body` gets it.
    ///
    /// A channel is inactive as soon as it closes, but its close future, through which the pool learns of
    /// the close, completes a turn of its event loop later; a connection released in between (a transaction
    /// that failed because its backend was terminated) is leased again, closed, by the next caller, whose
    /// first statement then fails without ever being sent. Every lease of the store goes through here: such
    /// a connection is held until the pool has heard of its close, then given back, and another leased. At
    /// most `Self.leasesForAnOpenConnection` leases; the last is given to `body` as it is.
    public func withOpenConnection<Result>(_ body: (PostgresConnection) async throws -> sending Result) async throws -> sending Result {
        // In a traced request, the wait for a pooled connection is a span of its own: under load it is where
        // the time goes.
        let poolWait = Spans.current?.startChild("pool wait")
        defer { poolWait?.end() }
        var lease = 1
        while true {
            do {
                return try await withConnection { connection in
                    poolWait?.end()
                    if connection.isClosed, lease < Self.leasesForAnOpenConnection {
                        // The pool's own callback on this future runs in the same turn, before this wait ends.
                        try? await connection.closeFuture.get()
                        throw LeasedAClosedConnection()
                    }
                    return try await body(connection)
                }
            } catch is LeasedAClosedConnection {
                lease += 1
            }
        }
    }

    static let leasesForAnOpenConnection = 3

    /// `query` on a pooled connection, with `PostgresConnection.rows`' guarantees.
    public func rows(_ query: PostgresQuery, logger: Logger = unlogged, file: String = #fileID, line: Int = #line) async throws -> [PostgresRow] {
        try await withOpenConnection { connection in try await connection.rows(query, logger: logger, file: file, line: line) }
    }

    public func run(_ query: PostgresQuery, logger: Logger = unlogged, file: String = #fileID, line: Int = #line) async throws {
        _ = try await rows(query, logger: logger, file: file, line: line)
    }

    /// A prepared statement on a pooled connection, with `PostgresConnection.rows`' guarantees.
    public func rows<Statement: PostgresPreparedStatement>(
        _ statement: Statement,
        logger: Logger = unlogged,
        file: String = #fileID,
        line: Int = #line
    ) async throws -> [Statement.Row] {
        try await withOpenConnection { connection in try await connection.rows(statement, logger: logger, file: file, line: line) }
    }

    /// Runs `body` in a transaction on one pooled connection: committed when `body` returns, rolled back when
    /// it throws. Throws what `body` threw. A connection that died is not sent a ROLLBACK (its server
    /// session rolled back with it), so no statement ever goes to a closed connection.
    public func transaction<Result: Sendable>(
        logger: Logger,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> Result {
        try await withOpenConnection { connection in
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

private struct LeasedAClosedConnection: Error {}

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
