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

    public func catalogChanges(since: Date?) async throws -> CatalogChanges {
        try await client.transaction(logger: logger) { connection in
            // One snapshot for all three reads, so products never name a brand the read missed.
            try await connection.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            let (brands, categories, readAt) = try await brandsAndCategories(connection)
            let products = try await loadProducts(connection, changedSince: since, ids: nil)
            return CatalogChanges(brands: brands, categories: categories, products: products, readAt: readAt)
        }
    }

    public func catalogPage(after: UUID?, limit: Int) async throws -> CatalogChanges {
        try await client.withConnection { connection in
            let (brands, categories, readAt) = try await brandsAndCategories(connection)
            let ids = try await connection.rows(
                "SELECT id FROM products WHERE \(after)::uuid IS NULL OR id > \(after) ORDER BY id LIMIT \(limit)", logger: logger
            ).decode(UUID.self).reduce(into: [UUID]()) { $0.append($1) }
            let products = ids.isEmpty ? [] : try await loadProducts(connection, changedSince: nil, ids: ids)
            // In id order, so the caller's next page starts after the last one.
            let byID = Dictionary(uniqueKeysWithValues: products.map { ($0.id, $0) })
            return CatalogChanges(brands: brands, categories: categories, products: ids.compactMap { byID[$0] }, readAt: readAt)
        }
    }

    private func brandsAndCategories(_ connection: PostgresConnection) async throws -> ([Brand], [StorefrontCore.Category], Date) {
        let readAt = try await connection.rows("SELECT now()", logger: logger).first!.decode(Date.self)
        var brands: [Brand] = []
        for (slug, name) in try await connection.rows(
            "SELECT slug, name FROM brands ORDER BY slug", logger: logger
        ).decode((String, String).self) {
            brands.append(Brand(slug: slug, name: name))
        }
        var categories: [StorefrontCore.Category] = []
        for (slug, name) in try await connection.rows(
            "SELECT slug, name FROM categories ORDER BY slug", logger: logger
        ).decode((String, String).self) {
            categories.append(StorefrontCore.Category(slug: slug, name: name))
        }
        return (brands, categories, readAt)
    }

    public func products(ids: [UUID]) async throws -> [Product] {
        guard !ids.isEmpty else { return [] }
        return try await client.withConnection { connection in
            try await loadProducts(connection, changedSince: nil, ids: ids)
        }
    }

    public func stockChanges(in region: Region, since: Date?) async throws -> StockChanges {
        try await client.withConnection { connection in
            let readAt = try await connection.rows("SELECT now()", logger: logger).first!.decode(Date.self)
            var available: [String: Int] = [:]
            let rows = try await connection.rows(
                """
                SELECT sku, available FROM stock
                WHERE region = \(region.name) AND updated_at >= \(since ?? .distantPast)
                """, logger: logger)
            for (sku, count) in try rows.decode((String, Int32).self) {
                available[sku] = Int(count)
            }
            return StockChanges(available: available, readAt: readAt)
        }
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

    /// Two queries whatever the number of products: the products, then all their variants in order.
    private func loadProducts(_ connection: PostgresConnection, changedSince since: Date?, ids: [UUID]?) async throws -> [Product] {
        var products: [UUID: Product] = [:]
        var order: [UUID] = []
        let since = since ?? .distantPast
        let productQuery: PostgresQuery = """
            SELECT p.id, p.name, p.description, b.slug, b.name, c.slug, c.name, p.gender, p.tags, p.image_urls, p.created_at
            FROM products p JOIN brands b ON b.slug = p.brand JOIN categories c ON c.slug = p.category
            WHERE p.updated_at >= \(since) AND (\(ids)::uuid[] IS NULL OR p.id = ANY(\(ids)::uuid[]))
            ORDER BY p.created_at DESC, p.id DESC
            """
        for row in try await connection.rows(productQuery, logger: logger).decode(
            (UUID, String, String, String, String, String, String, String, [String], [String], Date).self
        ) {
            let (id, name, description, brandSlug, brandName, categorySlug, categoryName, gender, tags, images, createdAt) = row
            products[id] = Product(
                id: id, name: name, description: description, brand: Brand(slug: brandSlug, name: brandName),
                category: StorefrontCore.Category(slug: categorySlug, name: categoryName),
                gender: Gender(rawValue: gender) ?? .unisex, tags: tags, imageURLs: images, createdAt: createdAt, variants: []
            )
            order.append(id)
        }
        guard !products.isEmpty else { return [] }
        let variantQuery: PostgresQuery = """
            SELECT v.product_id, v.sku, v.colour, v.eu_size_tenths, v.us_size_tenths, v.width, v.price_amount, v.currency
            FROM variants v JOIN products p ON p.id = v.product_id
            WHERE p.updated_at >= \(since) AND (\(ids)::uuid[] IS NULL OR p.id = ANY(\(ids)::uuid[]))
            ORDER BY v.product_id, v.position
            """
        for row in try await connection.rows(variantQuery, logger: logger).decode(
            (UUID, String, String, Int16, Int16, String, Int64, String).self
        ) {
            let (productID, sku, colour, eu, us, width, amount, currency) = row
            products[productID]?.variants.append(Variant(
                sku: sku, colour: colour, euSize: ShoeSize(tenths: Int(eu)), usSize: ShoeSize(tenths: Int(us)),
                width: Width(rawValue: width) ?? .standard,
                price: Money(amount: amount, currency: Currency(currency) ?? .usd)
            ))
        }
        return order.compactMap { products[$0] }
    }
}
