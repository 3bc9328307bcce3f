import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// Writes the generated catalog and one region's stock. Rerunning it is harmless: rows that exist are kept.
public struct CatalogSeeder: Sendable {
    let client: PostgresClient
    let logger: Logger
    let generator: CatalogGenerator
    /// Products per transaction: big enough for bulk speed, small enough to keep transactions short.
    static let batchSize = 1_000

    public init(client: PostgresClient, logger: Logger, generator: CatalogGenerator = CatalogGenerator()) {
        self.client = client
        self.logger = logger
        self.generator = generator
    }

    /// Seeds products `0..<count`; `writeCatalog: false` only allocates `stockRegion`'s stock for them.
    public func seed(products count: Int, stockRegion: Region, writeCatalog: Bool = true) async throws {
        if writeCatalog {
            try await writeBrandsAndCategories()
        }
        for start in stride(from: 0, to: count, by: Self.batchSize) {
            let products = (start..<min(start + Self.batchSize, count)).map(generator.product)
            try await client.transaction(logger: logger) { connection in
                if writeCatalog {
                    try await insertProducts(products, connection)
                    try await insertVariants(products, connection)
                }
                try await insertStock(products, region: stockRegion, connection)
            }
            logger.debug("seeded products", metadata: ["through": "\(start + products.count)"])
        }
        // Planner statistics now rather than at autovacuum's next round: without them the first shoppers'
        // listings get plans for empty tables, and time out.
        let tables = writeCatalog ? ["brands", "categories", "products", "variants", "stock"] : ["stock"]
        try await client.run("ANALYZE \(unescaped: tables.joined(separator: ", "))", logger: logger)
    }

    private func writeBrandsAndCategories() async throws {
        let brands = CatalogGenerator.brands
        let categories = CatalogGenerator.categories
        try await client.run(
            """
            INSERT INTO brands (slug, name) SELECT * FROM unnest(\(brands.map(\.slug))::text[], \(brands.map(\.name))::text[])
            ON CONFLICT (slug) DO NOTHING
            """,
            logger: logger
        )
        try await client.run(
            """
            INSERT INTO categories (slug, name)
            SELECT * FROM unnest(\(categories.map(\.slug))::text[], \(categories.map(\.name))::text[])
            ON CONFLICT (slug) DO NOTHING
            """,
            logger: logger
        )
    }

    private func insertProducts(_ products: [Product], _ connection: PostgresConnection) async throws {
        // Arrays of arrays do not bind; tags and images travel as one string each, split in SQL.
        try await connection.run(
            """
            INSERT INTO products (id, name, description, brand, category, gender, tags, image_urls, created_at)
            SELECT id, name, description, brand, category, gender, string_to_array(tags, ' '), string_to_array(images, ' '), created_at
            FROM unnest(
                \(products.map(\.id))::uuid[], \(products.map(\.name))::text[], \(products.map(\.description))::text[],
                \(products.map(\.brand.slug))::text[], \(products.map(\.category.slug))::text[],
                \(products.map(\.gender.rawValue))::text[], \(products.map { $0.tags.joined(separator: " ") })::text[],
                \(products.map { $0.imageURLs.joined(separator: " ") })::text[], \(products.map(\.createdAt))::timestamptz[]
            ) AS p (id, name, description, brand, category, gender, tags, images, created_at)
            ON CONFLICT (id) DO NOTHING
            """,
            logger: logger
        )
    }

    private func insertVariants(_ products: [Product], _ connection: PostgresConnection) async throws {
        let rows = products.flatMap { product in product.variants.enumerated().map { (product.id, $0.offset, $0.element) } }
        try await connection.run(
            """
            INSERT INTO variants (sku, product_id, position, colour, eu_size_tenths, us_size_tenths, width, price_amount, currency)
            SELECT * FROM unnest(
                \(rows.map(\.2.sku))::text[], \(rows.map(\.0))::uuid[], \(rows.map { Int32($0.1) })::int4[],
                \(rows.map(\.2.colour))::text[], \(rows.map { Int16($0.2.euSize.tenths) })::int2[],
                \(rows.map { Int16($0.2.usSize.tenths) })::int2[], \(rows.map(\.2.width.rawValue))::text[],
                \(rows.map(\.2.price.amount))::int8[], \(rows.map(\.2.price.currency.code))::text[]
            )
            ON CONFLICT (sku) DO NOTHING
            """,
            logger: logger
        )
    }

    private func insertStock(_ products: [Product], region: Region, _ connection: PostgresConnection) async throws {
        let skus = products.flatMap { $0.variants.map(\.sku) }
        let available = skus.map { Int32(generator.initialStock(sku: $0, region: region)) }
        try await connection.run(
            """
            INSERT INTO stock (region, sku, available)
            SELECT \(region.name), sku, available FROM unnest(\(skus)::text[], \(available)::int4[]) AS s (sku, available)
            ON CONFLICT (region, sku) DO NOTHING
            """,
            logger: logger
        )
    }
}
