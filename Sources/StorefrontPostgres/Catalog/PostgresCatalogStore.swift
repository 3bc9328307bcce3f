import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// The catalog in PostgreSQL.
public struct PostgresCatalogStore: CatalogStore {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func facets() async throws -> CatalogFacets {
        try await client.withConnection { connection in
            let readAt = try await now(connection)
            // Only products with a variant count: the others have no page.
            let brands = try await facets(connection, """
                SELECT f.slug, f.name, count(p.id) FROM brands f
                LEFT JOIN products p ON p.brand = f.slug AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id)
                GROUP BY f.slug, f.name ORDER BY f.slug
                """)
            let categories = try await facets(connection, """
                SELECT f.slug, f.name, count(p.id) FROM categories f
                LEFT JOIN products p ON p.category = f.slug AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id)
                GROUP BY f.slug, f.name ORDER BY f.slug
                """)
            return CatalogFacets(brands: brands, categories: categories, readAt: readAt)
        }
    }

    private func facets(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [Facet] {
        var facets: [Facet] = []
        for (slug, name, count) in try await connection.rows(query, logger: logger).decode((String, String, Int).self) {
            facets.append(Facet(slug: slug, name: name, productCount: count))
        }
        return facets
    }

    public func newestProductIDs(limit: Int) async throws -> [UUID] {
        try await client.rows("SELECT id FROM products ORDER BY created_at DESC, id DESC LIMIT \(limit)", logger: logger)
            .decode(UUID.self).reduce(into: []) { $0.append($1) }
    }

    public func products(ids: [UUID], stockIn region: Region) async throws -> [StockedProduct] {
        guard !ids.isEmpty else { return [] }
        return try await client.withConnection { connection in
            try await loadProducts(connection, ids: ids, stockIn: region)
        }
    }

    public func productChanges(since: Date) async throws -> ProductChanges {
        try await client.withConnection { connection in
            let readAt = try await now(connection)
            let ids = try await connection.rows("SELECT id FROM products WHERE updated_at >= \(since)", logger: logger)
                .decode(UUID.self).reduce(into: [UUID]()) { $0.append($1) }
            return ProductChanges(ids: ids, readAt: readAt)
        }
    }

    public func stockChanges(in region: Region, since: Date) async throws -> StockChanges {
        try await client.withConnection { connection in
            let readAt = try await now(connection)
            var levels: [StockLevel] = []
            let rows = try await connection.rows(
                """
                SELECT v.product_id, s.sku, s.available FROM stock s JOIN variants v ON v.sku = s.sku
                WHERE s.region = \(region.name) AND s.updated_at >= \(since)
                """, logger: logger)
            for (productID, sku, available) in try rows.decode((UUID, String, Int32).self) {
                levels.append(StockLevel(productID: productID, sku: sku, available: Int(available)))
            }
            return StockChanges(levels: levels, readAt: readAt)
        }
    }

    private func now(_ connection: PostgresConnection) async throws -> Date {
        try await connection.rows("SELECT now()", logger: logger).first!.decode(Date.self)
    }

    public func search(_ query: ProductQuery, after cursor: PageCursor?, stockRegion: Region, limit: Int) async throws -> [PageCursor] {
        let sql = ProductSearchSQL(query: query, cursor: cursor, stockRegion: stockRegion, limit: limit).query
        var page: [PageCursor] = []
        for (id, sortKey, rank) in try await client.rows(sql, logger: logger).decode((UUID, Int64, Float).self) {
            // A relevance page is ordered by rank: its cursor carries the rank's exact bits.
            let key = query.sort == .relevance ? Int64(rank.bitPattern) : sortKey
            page.append(PageCursor(sortKey: key, id: id))
        }
        return page
    }

    /// Two queries whatever the number of products: the products, then all their variants in order with
    /// the region's stock. Products come back in the order of `ids`.
    private func loadProducts(_ connection: PostgresConnection, ids: [UUID], stockIn region: Region) async throws -> [StockedProduct] {
        var products: [UUID: StockedProduct] = [:]
        let productQuery: PostgresQuery = """
            SELECT p.id, p.name, p.description, b.slug, b.name, c.slug, c.name, p.gender, p.tags, p.image_urls, p.created_at
            FROM products p JOIN brands b ON b.slug = p.brand JOIN categories c ON c.slug = p.category
            WHERE p.id = ANY(\(ids)::uuid[])
            """
        for row in try await connection.rows(productQuery, logger: logger).decode(
            (UUID, String, String, String, String, String, String, String, [String], [String], Date).self
        ) {
            let (id, name, description, brandSlug, brandName, categorySlug, categoryName, gender, tags, images, createdAt) = row
            let product = Product(
                id: id, name: name, description: description, brand: Brand(slug: brandSlug, name: brandName),
                category: StorefrontCore.Category(slug: categorySlug, name: categoryName),
                gender: Gender(rawValue: gender) ?? .unisex, tags: tags, imageURLs: images, createdAt: createdAt, variants: []
            )
            products[id] = StockedProduct(product, available: [:])
        }
        guard !products.isEmpty else { return [] }
        let variantQuery: PostgresQuery = """
            SELECT v.product_id, v.sku, v.colour, v.eu_size_tenths, v.us_size_tenths, v.width, v.price_amount, v.currency,
                   coalesce(s.available, 0)
            FROM variants v LEFT JOIN stock s ON s.region = \(region.name) AND s.sku = v.sku
            WHERE v.product_id = ANY(\(ids)::uuid[])
            ORDER BY v.product_id, v.position
            """
        for row in try await connection.rows(variantQuery, logger: logger).decode(
            (UUID, String, String, Int16, Int16, String, Int64, String, Int32).self
        ) {
            let (productID, sku, colour, eu, us, width, amount, currency, available) = row
            products[productID]?.product.variants.append(Variant(
                sku: sku, colour: colour, euSize: ShoeSize(tenths: Int(eu)), usSize: ShoeSize(tenths: Int(us)),
                width: Width(rawValue: width) ?? .standard,
                price: Money(amount: amount, currency: Currency(currency) ?? .usd)
            ))
            products[productID]?.available[sku] = Int(available)
        }
        return ids.compactMap { products[$0] }
    }
}
