import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import Testing

@testable import StorefrontHTTP

/// A request whose waits add up past `STOREFRONT_REQUEST_TIMEOUT_MS` is answered 503 and its work is
/// cancelled down to the database, which abandons the statement.
@Suite struct RequestDeadlineTests {
    @Test func aChangePastItsDeadlineIs503OutcomeUnknownAndTheDatabaseAbandonsIt() async throws {
        let sku = CatalogOracle().products[0].variants[0].sku
        let environment = [
            "STOREFRONT_REQUEST_TIMEOUT_MS": "500", "STOREFRONT_DB_STATEMENT_TIMEOUT_MS": "60000", "STOREFRONT_DB_LOCK_TIMEOUT_MS": "60000",
        ]
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: environment) { client in
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                try await database.asOwner { owner async throws in
                    try await owner.withTransaction(logger: TestDatabase.logger) { connection in
                        // The cart row stays locked far longer than the request may take; only its deadline ends it.
                        _ = try await connection.rows(
                            "SELECT 1 FROM carts WHERE id = \(UUID(uuidString: cart.id)!) FOR UPDATE",
                            logger: TestDatabase.logger
                        )
                        let late = try await shopper.set(sku, quantity: 1, in: cart)
                        #expect(late.status == .serviceUnavailable)
                        #expect(late.isProblem("outcome-unknown"))
                        #expect(late.headers[.retryAfter] == "1")
                        try await waitUntil("the abandoned statement leaves the database", timeout: .seconds(10)) {
                            try await owner.scalar(
                                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                                as: Int.self
                            ) == 0
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
