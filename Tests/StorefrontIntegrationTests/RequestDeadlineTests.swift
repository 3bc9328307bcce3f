import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import Testing

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
