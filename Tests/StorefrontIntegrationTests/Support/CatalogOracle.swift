import Foundation
import StorefrontCore
import StorefrontTestSupport

/// The seeded catalog as the tests expect it, computed straight from the generator: the independent answer
/// every listing is checked against.
struct CatalogOracle {
    let products: [Product]
    let stock: [String: Int]

    init(count: Int = TestDatabase.seededProducts) {
        let generator = CatalogGenerator()
        products = (0..<count).map(generator.product)
        stock = Dictionary(
            uniqueKeysWithValues: products.flatMap(\.variants).map {
                ($0.sku, generator.initialStock(sku: $0.sku, region: TestDatabase.region))
            }
        )
    }

    func product(_ id: String) -> Product? { products.first { $0.id.uuidString.lowercased() == id } }

    /// The ids a query must return, in no particular order.
    func matches(_ query: ProductQuery) -> Set<String> {
        Set(products.filter { matches($0, query) }.map { $0.id.uuidString.lowercased() })
    }

    func matches(_ product: Product, _ query: ProductQuery) -> Bool {
        if let brand = query.brand, product.brand.slug != brand { return false }
        if let category = query.category, product.category.slug != category { return false }
        if let gender = query.gender, product.gender != gender { return false }
        return product.variants.contains { variant in
            if let size = query.size, (size.system == .eu ? variant.euSize : variant.usSize) != size.size { return false }
            if let colour = query.colour, variant.colour != colour { return false }
            if let minPrice = query.minPrice, variant.price.amount < minPrice { return false }
            if let maxPrice = query.maxPrice, variant.price.amount > maxPrice { return false }
            if query.inStock, (stock[variant.sku] ?? 0) == 0 { return false }
            return true
        }
    }
}
