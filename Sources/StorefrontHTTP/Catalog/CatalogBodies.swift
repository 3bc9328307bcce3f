import Foundation
import StorefrontCore

/// What a listing shows of a product.
struct ProductSummaryBody: Encodable {
    var id: String
    var name: String
    var brand: Brand
    var category: StorefrontCore.Category
    var gender: Gender
    var priceFrom: Money?
    var colours: [String]
    var imageUrl: String?
    var inStock: Bool
    var createdAt: Date

    init(_ stocked: StockedProduct) {
        let product = stocked.product
        id = product.id.uuidString.lowercased()
        name = product.name
        brand = product.brand
        category = product.category
        gender = product.gender
        priceFrom = product.priceFrom
        colours = product.colours
        imageUrl = product.imageURLs.first
        inStock = stocked.isInStock
        createdAt = product.createdAt
    }
}

/// A product page: everything, with every variant's stock in the serving region.
struct ProductDetailBody: Encodable {
    var id: String
    var name: String
    var description: String
    var brand: Brand
    var category: StorefrontCore.Category
    var gender: Gender
    var tags: [String]
    var imageUrls: [String]
    var priceFrom: Money?
    var colours: [String]
    var inStock: Bool
    var createdAt: Date
    var stockRegion: String
    var variants: [VariantBody]

    struct VariantBody: Encodable {
        var sku: String
        var colour: String
        var size: SizeBody
        var width: Width
        var price: Money
        var available: Int
        var inStock: Bool
    }

    struct SizeBody: Encodable {
        var eu: String
        var us: String
    }

    init(_ stocked: StockedProduct, region: Region) {
        let product = stocked.product
        id = product.id.uuidString.lowercased()
        name = product.name
        description = product.description
        brand = product.brand
        category = product.category
        gender = product.gender
        tags = product.tags
        imageUrls = product.imageURLs
        priceFrom = product.priceFrom
        colours = product.colours
        inStock = stocked.isInStock
        createdAt = product.createdAt
        stockRegion = region.name
        variants = product.variants.map { variant in
            let available = stocked.available(variant.sku)
            return VariantBody(
                sku: variant.sku, colour: variant.colour,
                size: SizeBody(eu: variant.euSize.description, us: variant.usSize.description),
                width: variant.width, price: variant.price, available: available, inStock: available > 0
            )
        }
    }
}

/// A brand or category with the number of products it has.
struct FacetBody: Encodable {
    var slug: String
    var name: String
    var productCount: Int
}

struct FacetListBody: Encodable {
    var items: [FacetBody]
}
