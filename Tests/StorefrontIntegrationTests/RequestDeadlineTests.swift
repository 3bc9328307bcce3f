import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

@testable import StorefrontHTTP

/// A request whose waits add up past `STOREFRONT_REQUEST_TIMEOUT_MS` is answered 503 and its work is
/// cancelled down to the database, which abandons the statement.
@Suite struct RequestDeadlineTests {
    @Test func aChangePastItsDeadlineIs503OutcomeUnknownAndTheDatabaseAbandonsIt() async throws {
        let sku = CatalogOracle().products[0].variants[0].sku
        let environment = [
            // Long enough for the cart's opening on cores loaded by the whole suite (a CI run: over 500 ms).
            "STOREFRONT_REQUEST_TIMEOUT_MS": "2000", "STOREFRONT_DB_STATEMENT_TIMEOUT_MS": "60000", "STOREFRONT_DB_LOCK_TIMEOUT_MS": "60000",
        ]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: environment) { client in
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                // Seen by the superuser: the owner may not see what the app's backends wait for.
                let superuser = try TestCluster.named("us-east").adminURL(database: database.appURL.database)
                let waiting: PostgresQuery = """
                    SELECT count(*) FROM pg_stat_activity
                    WHERE datname = current_database() AND usename = 'storefront' AND wait_event_type = 'Lock'
                    """
                try await PostgresClient.withRunning(superuser, logger: TestDatabase.logger, maximumConnections: 1) { admin in
                    try await database.asOwner { owner async throws in
                        try await owner.withTransaction(logger: TestDatabase.logger) { connection in
                            // The cart row stays locked far longer than the request may take; only its deadline ends it.
                            _ = try await connection.rows(
                                "SELECT 1 FROM carts WHERE id = \(UUID(uuidString: cart.id)!) FOR UPDATE",
                                logger: TestDatabase.logger
                            )
                            async let late = shopper.set(sku, quantity: 1, in: cart)
                            try await waitUntil("the change waits for the cart's lock", timeout: .seconds(10)) {
                                try await admin.scalar(waiting, as: Int.self) == 1
                            }
                            let answer = try await late
                            #expect(answer.status == .serviceUnavailable)
                            #expect(answer.isProblem("outcome-unknown"))
                            #expect(answer.headers[.retryAfter] == "1")
                            // Only once the database has abandoned the statement may the lock go: a single statement
                            // whose client left still commits if its locks come first (which is why the answer says
                            // the outcome is unknown).
                            try await waitUntil("the database abandons the cancelled change", timeout: .seconds(10)) {
                                try await admin.scalar(waiting, as: Int.self) == 0
                            }
                        }
                    }
                }
                // The lock is gone and nothing was written; the region serves the same cart at once.
                let after = try await shopper.cart(cart).json()
                #expect(after["version"] as? Int == 1)
                #expect(try await shopper.set(sku, quantity: 1, in: cart).status == .ok)
            }
        }
    }
}

/// One timer for every request's deadline: `reap` answers the requests past theirs and cancels their work,
/// and leaves alone those within it and those already answered.
@Suite struct RequestDeadlinesTests {
    @Test func aRequestPastItsDeadlineIsAnsweredAndItsWorkCancelled() async throws {
        let deadlines = RequestDeadlines(allowance: .seconds(10))
        let started = AsyncStream<Void>.makeStream()
        let cancelled = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await #expect(throws: RequestDeadlineExceeded.self) {
                    try await deadlines.answer {
                        started.continuation.yield()
                        await withTaskCancellationHandler {
                            try? await Task.sleep(for: .seconds(600))
                        } onCancel: {
                            cancelled.continuation.yield()
                        }
                        return Response(status: .ok)
                    }
                }
            }
            for await _ in started.stream { break }
            // Not yet due: nothing happens.
            deadlines.reap(now: .now + .seconds(1))
            // Due: answered at once, and the work is cancelled.
            deadlines.reap(now: .now + .seconds(11))
            for await _ in cancelled.stream { break }
            try await group.waitForAll()
        }
    }

    @Test func aRequestAnsweredInTimeIsLeftAlone() async throws {
        let deadlines = RequestDeadlines(allowance: .seconds(10))
        let response = try await deadlines.answer { Response(status: .accepted) }
        #expect(response.status == .accepted)
        deadlines.reap(now: .now + .seconds(60))
        #expect(try await deadlines.answer { Response(status: .ok) }.status == .ok)
    }
}
