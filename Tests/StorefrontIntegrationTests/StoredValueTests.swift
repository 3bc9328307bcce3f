import Foundation
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// A stored value this binary does not know is an error, never a guess: a product of a gender it cannot
/// name is not shown as unisex.
@Suite struct StoredValueTests {
    @Test func anUnknownGenderFailsTheReadInsteadOfBecomingUnisex() async throws {
        let product = CatalogOracle().products[0]
        try await TestDatabase.withDatabase { database async throws in
            try await database.asOwner { owner async throws in
                // As a newer region's schema might allow, and replicate here.
                try await owner.run("ALTER TABLE products DROP CONSTRAINT products_gender_check")
                try await owner.run("UPDATE products SET gender = 'cyborg' WHERE id = \(product.id)")
            }
            try await database.asApp { client async throws in
                let store = PostgresCatalogStore(client: client, logger: TestDatabase.logger)
                let error = await #expect(throws: UnreadableStoredValue.self) {
                    try await store.products(ids: [product.id], stockIn: TestDatabase.region)
                }
                #expect(error?.description == "products.gender holds 'cyborg', which this binary does not know")
                // The other products read as before.
                let others = try await store.products(ids: [CatalogOracle().products[1].id], stockIn: TestDatabase.region)
                #expect(others.count == 1)
            }
        }
    }

    @Test func anUnknownCartStatusFailsReadsAndChangesInsteadOfMeaningClosed() async throws {
        let sku = CatalogOracle().products[0].variants[0].sku
        try await TestDatabase.withDatabase { database async throws in
            let token = AccessToken.generate()
            let cart = try await database.asApp { client async throws in
                try await PostgresCartStore(
                    client: client,
                    region: TestDatabase.region,
                    idleLifetime: .seconds(600),
                    synchronousCommit: true,
                    logger: TestDatabase.logger
                )
                .open(token: token)
            }
            try await database.asOwner { owner async throws in
                try await owner.run("ALTER TABLE carts DROP CONSTRAINT carts_status_check")
                try await owner.run("UPDATE carts SET status = 'abandoned' WHERE id = \(cart.id)")
            }
            try await database.asApp { client async throws in
                let store = PostgresCartStore(
                    client: client,
                    region: TestDatabase.region,
                    idleLifetime: .seconds(600),
                    synchronousCommit: true,
                    logger: TestDatabase.logger
                )
                let read = await #expect(throws: UnreadableStoredValue.self) { try await store.cart(cart.id, token: token) }
                #expect(read?.description == "carts.status holds 'abandoned', which this binary does not know")
                await #expect(throws: UnreadableStoredValue.self) {
                    try await store.setQuantity(1, sku: sku, cart: cart.id, token: token, expectedVersion: nil)
                }
            }
        }
    }
}
