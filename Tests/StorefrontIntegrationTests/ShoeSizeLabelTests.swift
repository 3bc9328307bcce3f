import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// An order's sizes are written by the database (`shoe_size_label`, migration 0009) and a cart's by Swift
/// (`ShoeSize.description`): a shopper must read the same size in both.
@Suite struct ShoeSizeLabelTests {
    @Test func theDatabaseWritesEverySizeAsSwiftDoes() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let labels = try await database.asApp { client async throws in
                try await client.rows("SELECT t, shoe_size_label(t::int2) FROM generate_series(0, 600) AS t ORDER BY t").decode((Int, String).self)
            }
            #expect(labels.count == 601)
            for (tenths, label) in labels {
                #expect(label == ShoeSize(tenths: tenths).description, "size \(tenths) tenths")
            }
        }
    }
}
