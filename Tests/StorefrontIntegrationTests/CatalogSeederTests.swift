import PostgresNIO
@testable import StorefrontApp
import StorefrontCore
import StorefrontPostgres
import Testing

@Suite struct CatalogSeederTests {
    /// A freshly seeded catalog has planner statistics: the first listings get plans for the rows that are
    /// there, not for empty tables.
    @Test func aSeededCatalogHasPlannerStatistics() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await database.asOwner { client async throws in
                // More products than the template's: only statistics taken after this seed count them all.
                try await CatalogSeeder(client: client, logger: TestDatabase.logger).seed(products: 400, stockRegion: TestDatabase.region)
                let estimate = try await client.scalar("SELECT reltuples::int8 FROM pg_class WHERE relname = 'variants'", as: Int.self)
                let actual = try await client.scalar("SELECT count(*) FROM variants", as: Int.self)
                #expect(estimate == actual, "the planner estimates \(estimate) variants of \(actual)")
            }
        }
    }
}

/// The first load reads the catalog in pages, each a few short statements, so that no catalog is too big
/// to load within one statement's timeout.
@Suite struct PagedCatalogLoadTests {
    @Test(arguments: [7, 60, 1000])
    func everyProductArrivesWithItsVariantsWhateverThePageSize(pageSize: Int) async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await database.asApp { client async throws in
                let catalog = Catalog()
                var refresher = CatalogRefresher(
                    store: PostgresCatalogStore(client: client, logger: TestDatabase.logger), catalog: catalog,
                    region: TestDatabase.region, interval: .seconds(1), logger: TestDatabase.logger)
                refresher.pageSize = pageSize
                _ = try await refresher.loadAll()
                let oracle = CatalogOracle()
                let snapshot = catalog.snapshot
                #expect(snapshot.products.count == oracle.products.count)
                for product in oracle.products {
                    #expect(snapshot.products[product.id]?.variants.map(\.sku) == product.variants.map(\.sku))
                }
                #expect(snapshot.brands.count > 0 && snapshot.categories.count > 0)
            }
        }
    }
}
