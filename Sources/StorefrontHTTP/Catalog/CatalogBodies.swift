import Foundation
import NIOCore
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
                sku: variant.sku,
                colour: variant.colour,
                size: SizeBody(eu: variant.euSize.description, us: variant.usSize.description),
                width: variant.width,
                price: variant.price,
                available: available,
                inStock: available > 0
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

extension JSONWriter {
    mutating func facet(_ slug: String, _ name: String) {
        object { json in
            json.key("name")
            json.string(name)
            json.key("slug")
            json.string(slug)
        }
    }

    mutating func money(_ money: Money) {
        object { json in
            json.key("amount")
            json.integer(money.amount)
            json.key("currency")
            json.string(money.currency.code)
        }
    }
}

extension ProductSummaryBody {
    /// The same document as `JSON.encode(self)`, keys in the same order, at a fraction of the cost.
    func encoded() -> ByteBuffer {
        var json = JSONWriter(capacity: 512)
        json.object { json in
            json.key("brand")
            json.facet(brand.slug, brand.name)
            json.key("category")
            json.facet(category.slug, category.name)
            json.key("colours")
            json.array(colours) { $0.string($1) }
            json.key("created_at")
            json.date(createdAt)
            json.key("gender")
            json.string(gender.rawValue)
            json.key("id")
            json.string(id)
            if let imageUrl {
                json.key("image_url")
                json.string(imageUrl)
            }
            json.key("in_stock")
            json.bool(inStock)
            json.key("name")
            json.string(name)
            if let priceFrom {
                json.key("price_from")
                json.money(priceFrom)
            }
        }
        return json.buffer
    }
}

extension ProductDetailBody {
    /// The same document as `JSON.encode(self)`, keys in the same order, at a fraction of the cost.
    func encoded() -> ByteBuffer {
        var json = JSONWriter(capacity: 1024 + variants.count * 200)
        json.object { json in
            json.key("brand")
            json.facet(brand.slug, brand.name)
            json.key("category")
            json.facet(category.slug, category.name)
            json.key("colours")
            json.array(colours) { $0.string($1) }
            json.key("created_at")
            json.date(createdAt)
            json.key("description")
            json.string(description)
            json.key("gender")
            json.string(gender.rawValue)
            json.key("id")
            json.string(id)
            json.key("image_urls")
            json.array(imageUrls) { $0.string($1) }
            json.key("in_stock")
            json.bool(inStock)
            json.key("name")
            json.string(name)
            if let priceFrom {
                json.key("price_from")
                json.money(priceFrom)
            }
            json.key("stock_region")
            json.string(stockRegion)
            json.key("tags")
            json.array(tags) { $0.string($1) }
            json.key("variants")
            json.array(variants) { json, variant in
                json.object { json in
                    json.key("available")
                    json.integer(variant.available)
                    json.key("colour")
                    json.string(variant.colour)
                    json.key("in_stock")
                    json.bool(variant.inStock)
                    json.key("price")
                    json.money(variant.price)
                    json.key("size")
                    json.object { json in
                        json.key("eu")
                        json.string(variant.size.eu)
                        json.key("us")
                        json.string(variant.size.us)
                    }
                    json.key("sku")
                    json.string(variant.sku)
                    json.key("width")
                    json.string(variant.width.rawValue)
                }
            }
        }
        return json.buffer
    }
}
