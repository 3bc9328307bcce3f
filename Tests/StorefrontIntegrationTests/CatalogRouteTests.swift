import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import StorefrontCore
import StorefrontHTTP
import StorefrontPostgres
import StorefrontTestSupport
import Testing

@Suite struct CatalogRouteTests {
    let oracle = CatalogOracle()

    /// Every page of a listing, following `next_cursor`; fails the test if a page is not a 200.
    func walk(_ client: any TestClientProtocol, _ query: String, limit: Int = 7) async throws -> [[String: Any]] {
        var items: [[String: Any]] = []
        var cursor: String?
        for _ in 0..<1000 {
            var uri = "/v1/products?limit=\(limit)" + (query.isEmpty ? "" : "&\(query)")
            if let cursor { uri += "&cursor=\(cursor)" }
            let response = try await client.get(uri)
            #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
            guard response.status == .ok else { return items }
            let page = try response.json()
            let pageItems = try page.value("items", as: [[String: Any]].self)
            #expect(pageItems.count <= limit)
            items += pageItems
            cursor = page["next_cursor"] as? String
            if cursor == nil { return items }
        }
        Issue.record("pagination did not end")
        return items
    }

    static let filters: [String] = [
        "", "brand=vanta", "category=trail-running", "gender=kids", "size=eu:42", "size=us:9", "colour=red",
        "min_price=15000", "max_price=8000", "min_price=9000&max_price=12000", "in_stock=true",
        "size=eu:44&colour=black&in_stock=true", "gender=women&sort=price_asc", "category=boots&sort=price_desc",
        "brand=kestrel&gender=men&max_price=20000",
    ]

    @Test(arguments: filters)
    func aFilteredWalkReturnsExactlyTheMatchingProductsOnce(filter: String) async throws {
        let oracle = oracle
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let items = try await walk(client, filter)
                let ids = try items.map { try $0.value("id", as: String.self) }
                let pairs = filter.split(separator: "&").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
                let query = try ProductQuery.parse(pairs.map { (name: $0[0], value: $0[1]) }).query
                #expect(Set(ids).count == ids.count, "a product came twice")
                #expect(Set(ids) == oracle.matches(query))
                try expectOrdered(items, by: query.sort)
            }
        }
    }

    func expectOrdered(_ items: [[String: Any]], by sort: ProductSort) throws {
        let prices = try items.map { try $0.value("price_from", as: [String: Any].self).value("amount", as: Int.self) }
        let times = try items.map { try $0.value("created_at", as: String.self) }
        switch sort {
        case .priceAscending: #expect(prices == prices.sorted())
        case .priceDescending: #expect(prices == prices.sorted(by: >))
        case .newest: #expect(times == times.sorted(by: >))
        case .relevance: break
        }
    }

    @Test func textSearchFindsNameBrandCategoryAndDescription() async throws {
        let oracle = oracle
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let boots = try await walk(client, "q=boots").map { try $0.value("id", as: String.self) }
                #expect(Set(boots) == Set(oracle.products.filter { $0.category.slug == "boots" }.map { $0.id.uuidString.lowercased() }))

                let waterproof = try await walk(client, "q=waterproof").map { try $0.value("id", as: String.self) }
                let described = oracle.products.filter { $0.description.contains("waterproof") }
                #expect(!described.isEmpty)
                #expect(Set(waterproof) == Set(described.map { $0.id.uuidString.lowercased() }))

                let brand = try await walk(client, "q=Harbor+Hale").map { try $0.value("id", as: String.self) }
                #expect(Set(brand) == Set(oracle.products.filter { $0.brand.slug == "harbor-hale" }.map { $0.id.uuidString.lowercased() }))

                let nothing = try await client.get("/v1/products?q=xylophone").json()
                #expect((try nothing.value("items", as: [Any].self)).isEmpty)
                #expect(nothing["next_cursor"] is NSNull)
            }
        }
    }

    @Test func relevancePutsProductsThatMatchEverywhereFirst() async throws {
        let oracle = oracle
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let items = try await walk(client, "q=trail", limit: 3)
                let ids = try items.map { try $0.value("id", as: String.self) }
                let inName = oracle.products.filter { $0.name.split(separator: " ").contains("Trail") }
                let inCategory = oracle.products.filter { $0.category.slug == "trail-running" }
                #expect(Set(ids) == Set((inName + inCategory).map { $0.id.uuidString.lowercased() }))
                // Name (weight A) and category (weight B) together outrank either alone.
                let both = Set(inName.map(\.id)).intersection(inCategory.map(\.id))
                let firstID = try #require(ids.first)
                let first = try #require(oracle.product(firstID))
                if !both.isEmpty { #expect(both.contains(first.id), "first: \(first.name)") }
            }
        }
    }

    @Test func aWalkSeesEveryProductOnceWhileProductsAreAdded() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let existing = Set(CatalogOracle().products.map { $0.id.uuidString.lowercased() })
            try await withTestApp(database) { client in
                for sort in ["newest", "price_asc", "price_desc"] {
                    async let writing: Void = database.asOwner { owner async throws in
                        for index in 0..<30 {
                            let product = CatalogGenerator(seed: UInt64(index) &+ 77 &* UInt64(sort.count)).product(5_000 + index)
                            try await insert(product, with: owner)
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    }
                    let ids = try await walk(client, "sort=\(sort)", limit: 4).map { try $0.value("id", as: String.self) }
                    try await writing
                    #expect(Set(ids).count == ids.count, "\(sort): a product came twice")
                    #expect(existing.isSubset(of: Set(ids)), "\(sort): \(existing.subtracting(ids).count) products were skipped")
                }
            }
        }
    }

    @Test func aProductPageHasEveryVariantWithTheRegionsStock() async throws {
        let product = oracle.products[5]
        let oracle = oracle
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let response = try await client.get("/v1/products/\(product.id.uuidString)")
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let body = try response.json()
                #expect(body["name"] as? String == product.name)
                #expect(body["stock_region"] as? String == "us-east")
                let variants = try body.value("variants", as: [[String: Any]].self)
                #expect(try variants.map { try $0.value("sku", as: String.self) } == product.variants.map(\.sku))
                for variant in variants {
                    #expect(try variant["available"] as? Int == oracle.stock[variant.value("sku", as: String.self)])
                }
                #expect((try body.value("price_from", as: [String: Any].self))["amount"] as? Int == Int(product.priceFrom!.amount))
            }
        }
    }

    /// A catalog ten times the cache: every page is still served, with the region's stock, and memory holds
    /// no more than the cache's capacity.
    @Test func aCatalogLargerThanTheCacheServesEveryProduct() async throws {
        let oracle = oracle
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: ["STOREFRONT_CATALOG_CACHE_PRODUCTS": "6"]) { client in
                let listed = try await walk(client, "", limit: 20).map { try $0.value("id", as: String.self) }
                #expect(Set(listed) == Set(oracle.products.map { $0.id.uuidString.lowercased() }))
                for product in oracle.products + oracle.products.prefix(3) {
                    let response = try await client.get("/v1/products/\(product.id.uuidString)")
                    #expect(response.status == .ok)
                    guard response.status == .ok else { continue }
                    let variants = try response.json().value("variants", as: [[String: Any]].self)
                    #expect(try variants.map { try $0.value("sku", as: String.self) } == product.variants.map(\.sku))
                    #expect(try variants.allSatisfy { try $0["available"] as? Int == oracle.stock[$0.value("sku", as: String.self)] })
                }
                let metrics = String(buffer: try await client.get("/metrics").body)
                let held = try #require(metricValue(metrics, "storefront_catalog_products_held"))
                #expect(held <= 6)
                let reads = try #require(metricValue(metrics, "storefront_catalog_product_reads_total"))
                #expect(reads >= Double(oracle.products.count - 6), "products not held are read from the database")
            }
        }
    }

    @Test func stockChangesReachProductPagesWithoutARestart() async throws {
        let variant = oracle.products[2].variants[0]
        let id = oracle.products[2].id.uuidString.lowercased()
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                try await database.asOwner { owner async throws in
                    try await owner.run("UPDATE stock SET available = 4321 WHERE region = 'us-east' AND sku = \(variant.sku)")
                }
                try await waitUntil("the page shows the new stock", timeout: .seconds(10)) {
                    // A problem answer is one more poll, not a crash of the whole test process.
                    let variants = try await client.get("/v1/products/\(id)").json()["variants"] as? [[String: Any]] ?? []
                    return variants.first { $0["sku"] as? String == variant.sku }?["available"] as? Int == 4321
                }
            }
        }
    }

    @Test func aNewProductIsListedAtOnceAndGetsItsOwnPage() async throws {
        let product = CatalogGenerator(seed: 99).product(7_000)
        let id = product.id.uuidString.lowercased()
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: ["STOREFRONT_CATALOG_REFRESH_MS": "60000"]) { client in
                try await database.asOwner { owner async throws in try await insert(product, with: owner) }
                let listed = try await client.get("/v1/products?brand=\(product.brand.slug)&limit=100").json().value(
                    "items",
                    as: [[String: Any]].self
                )
                #expect(listed.contains { $0["id"] as? String == id })
                #expect(try await client.get("/v1/products/\(id)").status == .ok)
            }
        }
    }

    @Test func brandsAndCategoriesCountTheirProducts() async throws {
        let oracle = oracle
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let brands = try await client.get("/v1/brands").json().value("items", as: [[String: Any]].self)
                #expect(brands.count == CatalogGenerator.brands.count)
                for brand in brands {
                    let slug = try brand.value("slug", as: String.self)
                    let expected = oracle.products.filter { $0.brand.slug == slug }.count
                    #expect(brand["product_count"] as? Int == expected)
                }
                let categories = try await client.get("/v1/categories").json().value("items", as: [[String: Any]].self)
                #expect(try categories.map { try $0.value("product_count", as: Int.self) }.reduce(0, +) == oracle.products.count)
            }
        }
    }

    @Test(arguments: [
        ("/v1/products?limit=0", 400, "invalid-request"),
        ("/v1/products?limit=101", 400, "invalid-request"),
        ("/v1/products?colour=red&colour=blue", 400, "invalid-request"),
        ("/v1/products?shoe=1", 400, "invalid-request"),
        ("/v1/products?sort=cheapest", 400, "invalid-request"),
        ("/v1/products?size=eu:4x", 400, "invalid-request"),
        ("/v1/products?q=%ZZ", 400, "invalid-request"),
        ("/v1/products?cursor=not-a-cursor", 400, "invalid-request"),
        ("/v1/products/not-a-uuid", 400, "invalid-request"),
        ("/v1/products/00000000-0000-4000-8000-000000000000", 404, "not-found"),
        ("/v1/shoes", 404, "not-found"),
    ])
    func badRequestsGetAProblemDocument(uri: String, status: Int, type: String) async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let response = try await client.get(uri)
                #expect(response.status.code == status)
                #expect(response.headers[.contentType] == "application/problem+json")
                let problem = try response.json()
                #expect(problem["type"] as? String == "https://storefront.example/problems/\(type)")
                #expect(problem["status"] as? Int == status)
                #expect((problem["detail"] as? String)?.isEmpty == false)
                #expect(response.headers[HTTPField.Name("X-Region")!] == "us-east")
                let text = String(buffer: response.body)
                #expect(!text.contains("PSQL") && !text.contains("SELECT"))
            }
        }
    }
}

/// Writes a product and its variants (and us-east stock) as the catalog owner would.
func insert(_ product: Product, with client: PostgresClient) async throws {
    // Generated SKUs depend on the product's index only; the id keeps those of test products apart.
    let suffix = "-" + product.id.uuidString.prefix(8)
    try await client.run(
        """
        INSERT INTO products (id, name, description, brand, category, gender, created_at)
        VALUES (\(product.id), \(product.name), \(product.description), \(product.brand.slug), \(product.category.slug),
                \(product.gender.rawValue), now())
        """
    )
    for (position, variant) in product.variants.enumerated() {
        try await client.run(
            """
            INSERT INTO variants (sku, product_id, position, colour, eu_size_tenths, us_size_tenths, width, price_amount, currency)
            VALUES (\(variant.sku + suffix), \(product.id), \(position), \(variant.colour), \(Int16(variant.euSize.tenths)),
                    \(Int16(variant.usSize.tenths)), \(variant.width.rawValue), \(variant.price.amount), 'USD')
            """
        )
        try await client.run("INSERT INTO stock (region, sku, available) VALUES ('us-east', \(variant.sku + suffix), 3)")
    }
}
