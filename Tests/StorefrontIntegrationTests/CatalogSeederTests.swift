import PostgresNIO
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
