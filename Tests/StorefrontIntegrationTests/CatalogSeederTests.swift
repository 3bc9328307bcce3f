import Foundation
import NIOCore
import PostgresNIO
import Prometheus
import StorefrontCore
import StorefrontHTTP
import StorefrontPostgres
import StorefrontTestSupport
import Testing

@testable import StorefrontApp

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

/// A region starts with what serving needs and keeps what it holds fresh, whatever the catalog's size: every
/// statement reads a bounded page.
@Suite struct CatalogRefresherTests {
    func refresher(_ client: PostgresClient, capacity: Int, pageSize: Int) -> CatalogRefresher<PostgresCatalogStore> {
        var refresher = CatalogRefresher(
            store: PostgresCatalogStore(client: client, logger: TestDatabase.logger),
            cache: CatalogCache(region: TestDatabase.region, capacity: capacity, registry: PrometheusCollectorRegistry()),
            region: TestDatabase.region,
            interval: .seconds(1),
            logger: TestDatabase.logger
        )
        refresher.pageSize = pageSize
        return refresher
    }

    @Test func aStartHoldsTheNewestPageAndLeavesTheRestOfHalfTheCacheToWarm() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await database.asApp { client async throws in
                let refresher = refresher(client, capacity: 60, pageSize: 7)
                let start = try await refresher.start()
                let newest = try await PostgresCatalogStore(client: client, logger: TestDatabase.logger).newestProductIDs(limit: 30)
                #expect(refresher.cache.holding(newest) == Array(newest.prefix(7)))
                #expect(start.warming == Array(newest.dropFirst(7)))
                let facets = try #require(refresher.cache.facets)
                let brands = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: facets.brands).utf8)) as? [String: Any])
                let counts = try brands.value("items", as: [[String: Any]].self).map { try $0.value("product_count", as: Int.self) }
                #expect(counts.reduce(0, +) == CatalogOracle().products.count, "counts come from the database, not from what is held")
            }
        }
    }

    @Test func aRefreshReadsAgainTheHeldProductsThatChangedAndNoOthers() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await database.asApp { client async throws in
                let refresher = refresher(client, capacity: 10, pageSize: 5)
                let start = try await refresher.start()
                let held = refresher.cache.holding(CatalogOracle().products.map(\.id))
                #expect(held.count == 5)
                let notHeld = try #require(CatalogOracle().products.map(\.id).first { !held.contains($0) })
                try await database.asOwner { owner async throws in
                    try await owner.run("UPDATE products SET name = 'Renamed', updated_at = now() WHERE id = ANY(\([held[0], notHeld])::uuid[])")
                }
                _ = try await refresher.refresh(since: start.watermarks)
                let page = try #require(refresher.cache.detail(held[0]))
                #expect(String(buffer: page).contains(#""name":"Renamed""#))
                #expect(!refresher.cache.contains(notHeld), "a product not held is read on first use, not by the refresh")
            }
        }
    }
}
