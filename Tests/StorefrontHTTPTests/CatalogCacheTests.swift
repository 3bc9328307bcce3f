import Foundation
import NIOCore
import Prometheus
import StorefrontCore
import Testing

@testable import StorefrontHTTP

/// The bounded in-memory catalog: what it keeps, what it drops, and when an encoded page is stale.
@Suite struct CatalogCacheTests {
    let generator = CatalogGenerator()
    let region = try! Region("us-east")

    func stocked(_ index: Int, units: Int = 0) -> StockedProduct {
        let product = generator.product(index)
        return StockedProduct(product, available: Dictionary(uniqueKeysWithValues: product.variants.map { ($0.sku, units) }))
    }

    func page(_ cache: CatalogCache, _ id: UUID) throws -> [String: Any]? {
        try cache.detail(id).map { try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: $0).utf8)) as? [String: Any]) }
    }

    @Test func holdsAtMostItsCapacityAndKeepsWhatIsReadAgain() throws {
        let cache = CatalogCache(region: region, capacity: 4, registry: PrometheusCollectorRegistry())
        let products = (0..<5).map { stocked($0) }
        cache.insert([products[0], products[1]])
        cache.insert([products[2]])
        #expect(cache.count == 3)
        // Read while old: promoted, so the next turn of generations keeps it.
        #expect(cache.detail(products[0].id) != nil)
        cache.insert([products[3]])
        cache.insert([products[4]])
        #expect(cache.count <= 4)
        #expect(cache.contains(products[0].id))
        #expect(!cache.contains(products[1].id), "never read again, so dropped")
        #expect(cache.holding(products.map(\.id)).count == cache.count)
    }

    @Test func aStockChangeReachesThePageOfAHeldProductOnly() throws {
        let cache = CatalogCache(region: region, capacity: 10, registry: PrometheusCollectorRegistry())
        let held = stocked(0)
        let other = stocked(1)
        cache.insert([held])
        let before = try #require(try page(cache, held.id))
        #expect(before["in_stock"] as? Bool == false)
        let sku = held.product.variants[0].sku
        let changed = cache.apply([
            StockLevel(productID: held.id, sku: sku, available: 3),
            StockLevel(productID: other.id, sku: other.product.variants[0].sku, available: 9),
        ])
        #expect(changed == 1)
        #expect(!cache.contains(other.id), "stock of a product not held is not kept")
        let after = try #require(try page(cache, held.id))
        #expect(after["in_stock"] as? Bool == true)
        let variants = try #require(after["variants"] as? [[String: Any]])
        #expect(variants.first { $0["sku"] as? String == sku }?["available"] as? Int == 3)
        #expect(cache.apply([StockLevel(productID: held.id, sku: sku, available: 3)]) == 0, "the same level again changes nothing")
    }

    @Test func aProductWithoutVariantsIsNotKept() {
        let cache = CatalogCache(region: region, capacity: 10, registry: PrometheusCollectorRegistry())
        var bare = stocked(0)
        bare.product.variants = []
        cache.insert([bare])
        #expect(!cache.contains(bare.id))
    }
}

/// Product pages and listing entries are written by hand for speed: they must stay the documents
/// `JSONEncoder` makes of the same bodies.
@Suite struct CatalogJSONTests {
    func object(_ buffer: ByteBuffer) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: buffer).utf8)) as? NSDictionary)
    }

    static var products: [StockedProduct] {
        let generator = CatalogGenerator(seed: 5)
        var products = (0..<40).map { index in
            let product = generator.product(index)
            return StockedProduct(product, available: Dictionary(uniqueKeysWithValues: product.variants.enumerated().map { ($1.sku, $0 % 3) }))
        }
        // What a writer must escape, a time with a fraction of a second, and no images.
        products[0].product.name = "Quote \" backslash \\ newline \n tab \t bell \u{7} é 👟 </script>"
        products[0].product.description = "Line one\r\nline two"
        products[0].product.createdAt = Date(timeIntervalSince1970: 1_790_000_000.987_654)
        products[0].product.imageURLs = []
        return products
    }

    @Test(arguments: products)
    func theWrittenPageIsTheEncodedOne(product: StockedProduct) throws {
        let region = try Region("eu-west")
        let detail = ProductDetailBody(product, region: region)
        #expect(try object(detail.encoded()) == object(JSON.encode(detail)))
        let summary = ProductSummaryBody(product)
        #expect(try object(summary.encoded()) == object(JSON.encode(summary)))
    }
}
