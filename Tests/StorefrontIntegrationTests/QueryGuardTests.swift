import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import StorefrontCore
import Synchronization
import Testing

@testable import StorefrontPostgres

/// Every query ends: on a closed connection, when cancelled, when its connection dies mid-transaction.
@Suite struct QueryGuardTests {
    /// With the setting the app's pool has: the server checks every second that its client is still there.
    static func connect(_ database: TestDatabase) async throws -> PostgresConnection {
        var configuration = database.appURL.connectionConfiguration(connectTimeout: .seconds(5))
        configuration.options.additionalStartupParameters = [("client_connection_check_interval", "1000")]
        return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: TestDatabase.logger)
    }

    /// The upstream behaviour the guard exists for. If PostgresNIO ever answers here, the guard can go.
    @Test func postgresNIOLeavesAQueryOnAClosedConnectionUnanswered() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let connection = try await Self.connect(database)
            try await connection.close()
            let answered = NIOLockedValueBox(false)
            let future: EventLoopFuture<PostgresQueryResult> = connection.query("SELECT 1", logger: TestDatabase.logger)
            future.whenComplete { _ in answered.withLockedValue { $0 = true } }
            try await Task.sleep(for: .milliseconds(500))
            #expect(!answered.withLockedValue { $0 }, "PostgresNIO now answers a query on a closed connection")
        }
    }

    @Test func aQueryOnAClosedConnectionEndsAtOnce() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let connection = try await Self.connect(database)
            try await connection.close()
            // Bounded, so that a query that waits for ever (what PostgresNIO alone does) fails the test.
            try await withDeadline(.seconds(10)) {
                await #expect(throws: ConnectionClosed.self) { try await connection.run("SELECT 1") }
            }
        }
    }

    /// A connection that lives long keeps nothing of the queries it answered: each query's watch on the
    /// close goes when the query is answered.
    @Test func answeredQueriesLeaveNothingOnTheirConnection() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let connection = try await Self.connect(database)
            for _ in 0..<500 { try await connection.run("SELECT 1") }
            #expect(CloseWatch.shared.waiting(on: connection) == 0)
            await #expect(throws: (any Error).self) { try await connection.run("SELECT * FROM no_such_table") }
            #expect(CloseWatch.shared.waiting(on: connection) == 0)
            try await connection.close()
        }
    }

    @Test func cancellingAQueryInFlightEndsItAndItsBackend() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let connection = try await Self.connect(database)
            let pid = try await connection.rows("SELECT pg_backend_pid()")[0].decode(Int32.self)
            // The 30 s query ends with its 200 ms deadline; the outer bound catches one that would not.
            try await withDeadline(.seconds(10)) {
                await #expect(throws: DeadlineExceeded.self) {
                    try await withDeadline(.milliseconds(200)) { try await connection.run("SELECT pg_sleep(30)") }
                }
            }
            // The query is failed as soon as the close begins; the channel itself closes a moment later.
            try await waitUntil("the connection is closed", timeout: .seconds(2)) { connection.isClosed }
            // The server notices within a second or two that its client left, and ends the query.
            try await database.asOwner { owner async throws in
                try await waitUntil("the backend is gone", timeout: .seconds(5)) {
                    try await owner.rows("SELECT 1 FROM pg_stat_activity WHERE pid = \(pid)").isEmpty
                }
            }
        }
    }

    /// Its connection killed by the server in the middle of a transaction: the transaction ends with an
    /// error, no ROLLBACK is sent to the dead connection, and the pool goes on with a fresh one.
    @Test func aTransactionWhoseConnectionDiesEnds() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await database.asApp { client async throws in
                // Bounded rather than timed: on a loaded machine opening connections takes seconds, and what is
                // tested is that the dead connection's query ends, where without the guard it never did.
                let killed = Mutex(false)
                try await withDeadline(.seconds(60)) {
                    await #expect(throws: (any Error).self) {
                        try await client.transaction(logger: TestDatabase.logger) { connection in
                            let pid = try await connection.rows("SELECT pg_backend_pid()")[0].decode(Int32.self)
                            // The app's backends are not the owner's to end: the superuser ends it.
                            let superuser = try TestCluster.named("us-east").adminURL(database: "postgres")
                            let terminated = try await PostgresClient.withRunning(superuser, logger: TestDatabase.logger) { admin in
                                try await admin.rows("SELECT pg_terminate_backend(\(pid))")[0].decode(Bool.self)
                            }
                            killed.withLock { $0 = terminated }
                            try await connection.run("SELECT 1")
                        }
                    }
                }
                #expect(killed.withLock { $0 }, "the backend was not terminated")
                #expect(try await client.rows("SELECT 1").count == 1)
            }
        }
    }
}
