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
        try await client.withOpenConnection { connection in
            let readAt = try await now(connection)
            // Only products with a variant count: the others have no page.
            let brands = try await facets(
                connection,
                """
                SELECT f.slug, f.name, count(p.id) FROM brands f
                LEFT JOIN products p ON p.brand = f.slug AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id)
                GROUP BY f.slug, f.name ORDER BY f.slug
                """
            )
            let categories = try await facets(
                connection,
                """
                SELECT f.slug, f.name, count(p.id) FROM categories f
                LEFT JOIN products p ON p.category = f.slug AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id)
                GROUP BY f.slug, f.name ORDER BY f.slug
                """
            )
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
        return try await client.withOpenConnection { connection in
            try await loadProducts(connection, ids: ids, stockIn: region)
        }
    }

    public func productChanges(since: Date) async throws -> ProductChanges {
        try await client.withOpenConnection { connection in
            let readAt = try await now(connection)
            let ids = try await connection.rows("SELECT id FROM products WHERE updated_at >= \(since)", logger: logger)
                .decode(UUID.self).reduce(into: [UUID]()) { $0.append($1) }
            return ProductChanges(ids: ids, readAt: readAt)
        }
    }

    public func stockChanges(in region: Region, since: Date) async throws -> StockChanges {
        try await client.withOpenConnection { connection in
            let readAt = try await now(connection)
            var levels: [StockLevel] = []
            let rows = try await connection.rows(
                """
                SELECT v.product_id, s.sku, s.available FROM stock s JOIN variants v ON v.sku = s.sku
                WHERE s.region = \(region.name) AND s.updated_at >= \(since)
                """,
                logger: logger
            )
            for (productID, sku, available) in try rows.decode((UUID, String, Int32).self) {
                levels.append(StockLevel(productID: productID, sku: sku, available: Int(available)))
            }
            return StockChanges(levels: levels, readAt: readAt)
        }
    }

    private func now(_ connection: PostgresConnection) async throws -> Date {
        try await connection.rows("SELECT now()", logger: logger).onlyRow(of: "SELECT now()").decode(Date.self)
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

    /// One prepared statement whatever the number of products (`LoadProducts`): a product read on a
    /// shopper's first request costs one round trip. Products come back in the order of `ids`.
    private func loadProducts(_ connection: PostgresConnection, ids: [UUID], stockIn region: Region) async throws -> [StockedProduct] {
        var products: [UUID: StockedProduct] = [:]
        let rows = try await connection.rows(LoadProducts(ids: ids, region: region), logger: logger)
        for (
            id, name, description, brandSlug, brandName, categorySlug, categoryName, gender, tags, imageURLs, createdAt,
            sku, colour, euSize, usSize, width, priceAmount, currency, available
        ) in rows {
            if products[id] == nil {
                let product = Product(
                    id: id,
                    name: name,
                    description: description,
                    brand: Brand(slug: brandSlug, name: brandName),
                    category: StorefrontCore.Category(slug: categorySlug, name: categoryName),
                    gender: try known(Gender.init(rawValue:), gender, in: "products.gender"),
                    tags: tags,
                    imageURLs: imageURLs,
                    createdAt: createdAt,
                    variants: []
                )
                products[id] = StockedProduct(product, available: [:])
            }
            // A product without variants has one row, whose variant columns are all NULL.
            guard let sku, let colour, let euSize, let usSize, let width, let priceAmount, let currency else { continue }
            products[id]?.product.variants.append(
                Variant(
                    sku: sku,
                    colour: colour,
                    euSize: ShoeSize(tenths: Int(euSize)),
                    usSize: ShoeSize(tenths: Int(usSize)),
                    width: try known(Width.init(rawValue:), width, in: "variants.width"),
                    price: Money(amount: priceAmount, currency: try known(Currency.init, currency, in: "variants.currency"))
                )
            )
            products[id]?.available[sku] = Int(available)
        }
        return ids.compactMap { products[$0] }
    }
}

/// Products with every variant, in order, and each variant's stock in a region: each product's row once per
/// variant (once, with the variant's columns null, for a product without variants).
struct LoadProducts: PostgresPreparedStatement {
    static let sql = """
        SELECT p.id, p.name, p.description, b.slug, b.name, c.slug, c.name, p.gender, p.tags, p.image_urls, p.created_at,
               v.sku, v.colour, v.eu_size_tenths, v.us_size_tenths, v.width, v.price_amount, v.currency, coalesce(s.available, 0)
        FROM products p JOIN brands b ON b.slug = p.brand JOIN categories c ON c.slug = p.category
        LEFT JOIN variants v ON v.product_id = p.id
        LEFT JOIN stock s ON s.region = $2 AND s.sku = v.sku
        WHERE p.id = ANY($1::uuid[])
        ORDER BY p.id, v.position
        """
    typealias Row = (
        UUID, String, String, String, String, String, String, String, [String], [String], Date,
        String?, String?, Int16?, Int16?, String?, Int64?, String?, Int32
    )

    var ids: [UUID]
    var region: Region

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(ids)
        bindings.append(region.name)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
