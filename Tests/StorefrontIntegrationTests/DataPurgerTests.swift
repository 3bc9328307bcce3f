import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// Rows past their retention go; rows within it stay, even while shoppers check out beside the purge.
@Suite struct DataPurgerTests {
    let skus = CatalogOracle().products.prefix(30).map { $0.variants[2].sku }

    func count(_ sql: PostgresQuery, _ database: TestDatabase) async throws -> Int {
        try await database.asOwner { owner async throws in try await owner.scalar(sql, as: Int.self) }
    }

    @Test func rowsPastRetentionGoAndRowsWithinItStay() async throws {
        let sku = skus[0]
        try await TestDatabase.withDatabase { database async throws in
            let abandoned = UUID()
            let recent = UUID()
            let checkedOut = UUID()
            let sent = UUID()
            try await database.asOwner { owner async throws in
                let digest = ByteBuffer(bytes: [UInt8](repeating: 7, count: 32))
                try await owner.run(
                    """
                    INSERT INTO carts (region, id, token_digest, status, expires_at) VALUES
                        ('us-east', \(abandoned), \(digest), 'open', now() - interval '8 days'),
                        ('us-east', \(recent), \(digest), 'open', now() - interval '1 day'),
                        ('us-east', \(checkedOut), \(digest), 'checked_out', now() - interval '60 days')
                    """
                )
                try await owner.run(
                    "INSERT INTO cart_items (region, cart_id, sku, quantity) VALUES ('us-east', \(abandoned), \(sku), 1), ('us-east', \(recent), \(sku), 1)"
                )
                try await owner.run(
                    """
                    INSERT INTO idempotency_keys (region, key, fingerprint, state, claimed_at) VALUES
                        ('us-east', 'old', '\\x00', 'running', now() - interval '25 hours'),
                        ('us-east', 'fresh', '\\x00', 'running', now() - interval '1 hour')
                    """
                )
                // A receipt whose transfer is gone may go; one whose transfer is still here must stay, or the
                // transfer would be credited again.
                try await owner.run(
                    "INSERT INTO stock_transfers (region, id, sku, to_region, quantity) VALUES ('us-east', \(sent), \(sku), 'eu-west', 1)"
                )
                try await owner.run(
                    """
                    INSERT INTO stock_transfer_receipts (region, transfer_id, received_at) VALUES
                        ('us-east', gen_random_uuid(), now() - interval '31 days'),
                        ('us-east', \(sent), now() - interval '31 days')
                    """
                )
            }
            let purged = try await database.asApp { client async throws in
                try await DataPurger(client: client, region: TestDatabase.region, logger: TestDatabase.logger).purge()
            }
            #expect(purged == [.carts: 1, .idempotencyKeys: 1, .stockTransfers: 0, .stockTransferReceipts: 1])
            #expect(try await count("SELECT count(*) FROM carts WHERE id = \(abandoned)", database) == 0)
            #expect(try await count("SELECT count(*) FROM cart_items WHERE cart_id = \(abandoned)", database) == 0)
            #expect(try await count("SELECT count(*) FROM carts WHERE id IN (\(recent), \(checkedOut))", database) == 2)
            #expect(try await count("SELECT count(*) FROM cart_items WHERE cart_id = \(recent)", database) == 1)
            #expect(try await count("SELECT count(*) FROM idempotency_keys WHERE key = 'fresh'", database) == 1)
            #expect(try await count("SELECT count(*) FROM stock_transfer_receipts WHERE transfer_id = \(sent)", database) == 1)
            // A second round finds nothing more.
            let again = try await database.asApp { client async throws in
                try await DataPurger(client: client, region: TestDatabase.region, logger: TestDatabase.logger).purge()
            }
            #expect(again.values.allSatisfy { $0 == 0 })
        }
    }

    @Test func aPurgeBesideCheckoutsTakesNothingTheyUse() async throws {
        let skus = Array(skus[1...20])
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                for sku in skus { try await shopper.setStock(sku, 5) }
                let rounds = NIOLockedValueBox(0)
                let purging = Task {
                    try await database.asApp { app async throws in
                        let purger = DataPurger(client: app, region: TestDatabase.region, logger: TestDatabase.logger)
                        while !Task.isCancelled {
                            _ = try await purger.purge()
                            rounds.withLockedValue { $0 += 1 }
                        }
                    }
                }
                let placed = try await withThrowingTaskGroup(of: Int.self) { group in
                    for sku in skus {
                        group.addTask {
                            let cart = try await shopper.openCart()
                            #expect(try await shopper.set(sku, quantity: 1, in: cart).status == .ok)
                            return try await shopper.checkout(cart).status == .created ? 1 : 0
                        }
                    }
                    return try await group.reduce(0, +)
                }
                // The purge goes on until it has run two whole rounds after the checkouts' last writes.
                let roundsWhileCheckingOut = rounds.withLockedValue { $0 }
                try await waitUntil("two purge rounds after the last checkout") { rounds.withLockedValue { $0 } >= roundsWhileCheckingOut + 2 }
                purging.cancel()
                _ = try? await purging.value
                let completed = rounds.withLockedValue { $0 }
                print("\(placed) checkouts beside \(completed) purge rounds")
                #expect(completed > 0)
                #expect(placed == skus.count)
                #expect(try await count("SELECT count(*) FROM orders", database) == skus.count)
                #expect(try await count("SELECT count(*) FROM carts WHERE status = 'checked_out'", database) == skus.count)
                #expect(try await count("SELECT count(*) FROM idempotency_keys WHERE state = 'done'", database) == skus.count)
            }
        }
    }
}
