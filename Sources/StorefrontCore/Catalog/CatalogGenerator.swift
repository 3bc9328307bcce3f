import Foundation

/// Makes a realistic shoe catalog, the same every time: product `i` depends only on `i`, so seeding 1,000
/// products and later 100,000 adds the missing ones and changes none.
public struct CatalogGenerator: Sendable {
    public static let brands: [Brand] = [
        ("stridewell", "Stridewell"), ("northpeak", "Northpeak"), ("velocita", "Velocita"), ("kestrel", "Kestrel"),
        ("ironbark", "Ironbark"), ("solano", "Solano"), ("trailforge", "Trailforge"), ("cloudhop", "Cloudhop"),
        ("harbor-hale", "Harbor & Hale"), ("vanta", "Vanta"), ("meridian", "Meridian"), ("dune-co", "Dune & Co"),
    ].map { Brand(slug: $0.0, name: $0.1) }

    struct Style {
        let category: Category
        let models: [String]
        let features: [String]
        let blurb: String
        let priceRange: ClosedRange<Int>
        let tags: [String]
        let offersWide: Bool
    }

    static let styles: [Style] = [
        Style(
            category: Category(slug: "running", name: "Running"),
            models: ["Tempo", "Pacer", "Glide", "Velocity", "Sprint", "Cadence"],
            features: ["responsive foam midsole", "engineered mesh upper", "carbon-infused plate", "reflective heel tab"],
            blurb: "A road running shoe for daily miles and race days.",
            priceRange: 89...219,
            tags: ["road", "cushioned", "breathable"],
            offersWide: true
        ),
        Style(
            category: Category(slug: "trail-running", name: "Trail running"),
            models: ["Ridge", "Switchback", "Scree", "Talus", "Canyon"],
            features: ["lugged outsole", "rock plate", "gusseted tongue", "waterproof membrane"],
            blurb: "Grip and protection for technical trails.",
            priceRange: 109...199,
            tags: ["trail", "grip", "waterproof"],
            offersWide: true
        ),
        Style(
            category: Category(slug: "basketball", name: "Basketball"),
            models: ["Courtside", "Rebound", "Crossover", "Fadeaway"],
            features: ["high-top ankle support", "herringbone traction", "impact cushioning", "lockdown lacing"],
            blurb: "Built for quick cuts and hard landings on the court.",
            priceRange: 99...229,
            tags: ["court", "high-top"],
            offersWide: false
        ),
        Style(
            category: Category(slug: "boots", name: "Boots"),
            models: ["Timberline", "Foundry", "Homestead", "Ranger", "Chelsea"],
            features: ["full-grain leather", "Goodyear welt", "shearling lining", "steel shank"],
            blurb: "A boot made to be resoled, not replaced.",
            priceRange: 129...349,
            tags: ["leather", "winter", "waterproof"],
            offersWide: true
        ),
        Style(
            category: Category(slug: "sandals", name: "Sandals"),
            models: ["Lagoon", "Driftwood", "Sunset", "Cove"],
            features: ["contoured cork footbed", "quick-dry straps", "adjustable buckle", "recycled rubber sole"],
            blurb: "Easy summer comfort from beach to boardwalk.",
            priceRange: 29...119,
            tags: ["summer", "beach"],
            offersWide: false
        ),
        Style(
            category: Category(slug: "sneakers", name: "Sneakers"),
            models: ["Metro", "Avenue", "Classic", "Canvas", "Loft"],
            features: ["vulcanised sole", "organic cotton canvas", "padded collar", "suede overlays"],
            blurb: "An everyday sneaker that goes with everything.",
            priceRange: 49...149,
            tags: ["casual", "everyday"],
            offersWide: false
        ),
        Style(
            category: Category(slug: "hiking", name: "Hiking"),
            models: ["Summit", "Traverse", "Alpine", "Basecamp"],
            features: ["waterproof membrane", "Vibram-style outsole", "ankle support", "toe cap"],
            blurb: "A supportive hiker for long days with a pack.",
            priceRange: 119...259,
            tags: ["outdoor", "waterproof", "support"],
            offersWide: true
        ),
        Style(
            category: Category(slug: "tennis", name: "Tennis"),
            models: ["Baseline", "Volley", "Deuce", "Rally"],
            features: ["durable toe drag guard", "lateral stability frame", "modified herringbone outsole"],
            blurb: "Stability for fast lateral movement on every surface.",
            priceRange: 79...179,
            tags: ["court", "stability"],
            offersWide: false
        ),
    ]

    public static var categories: [Category] { styles.map(\.category) }

    static let colours = [
        "black", "white", "grey", "navy", "red", "blue", "green", "olive", "tan", "brown", "pink", "orange", "yellow",
        "purple", "beige",
    ]
    static let editions = ["", " 2", " 3", " 4", " GTX", " Pro", " Lite", " Max", " Trail", " Elite", " SE", " Knit"]

    public let seed: UInt64

    public init(seed: UInt64 = 2026) { self.seed = seed }

    /// Creation times go back a minute per product from here, the same in every region and every run.
    public static let anchor = Date(timeIntervalSince1970: 1_793_491_200)  // 2026-11-01T00:00:00Z

    /// Product number `index` of the catalog.
    public func product(_ index: Int) -> Product {
        var random = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        let brand = Self.brands[random.next(below: Self.brands.count)]
        let style = Self.styles[random.next(below: Self.styles.count)]
        let genders: [Gender] = style.category.slug == "sandals" ? [.women, .men, .unisex] : [.men, .women, .unisex, .kids]
        let gender = genders[random.next(below: genders.count)]
        let model = style.models[random.next(below: style.models.count)]
        let edition = Self.editions[random.next(below: Self.editions.count)]
        let name = "\(brand.name) \(model)\(edition)"
        let firstFeature = random.next(below: style.features.count)
        let secondFeature = (firstFeature + 1 + random.next(below: style.features.count - 1)) % style.features.count
        let description = "\(style.blurb) Features: \(style.features[firstFeature]) and \(style.features[secondFeature]). Model no. \(index + 1)."
        let id = random.uuid()

        let basePrice = (style.priceRange.lowerBound + random.next(below: style.priceRange.count)) * 100 - 1
        let colourCount = 1 + random.next(below: 3)
        var colours: [String] = []
        while colours.count < colourCount {
            let colour = Self.colours[random.next(below: Self.colours.count)]
            if !colours.contains(colour) { colours.append(colour) }
        }
        let widths: [Width] = style.offersWide && random.next(below: 4) == 0 ? [.standard, .wide] : [.standard]
        let code = "\(brand.slug.prefix(3).uppercased())\(String(index, radix: 36).uppercased())"

        var variants: [Variant] = []
        for (colourIndex, colour) in colours.enumerated() {
            // Limited colourways cost a little more.
            let price = Money(amount: Int64(basePrice + colourIndex * 1000), currency: .usd)
            for width in widths {
                for eu in Self.sizeRun(gender) {
                    let sku = "\(code)-\(colour.prefix(3).uppercased())\(colourIndex)-\(width.rawValue.prefix(1).uppercased())\(eu.tenths)"
                    variants.append(Variant(sku: sku, colour: colour, euSize: eu, usSize: Self.usSize(eu, gender), width: width, price: price))
                }
            }
        }
        let images = colours.flatMap { colour in
            (1...2).map { "https://img.storefront.example/products/\(id.uuidString.lowercased())/\(colour)-\($0).jpg" }
        }
        return Product(
            id: id,
            name: name,
            description: description,
            brand: brand,
            category: style.category,
            gender: gender,
            tags: style.tags,
            imageURLs: images,
            createdAt: Self.anchor.addingTimeInterval(-60 * Double(index + 1)),
            variants: variants
        )
    }

    /// The EU sizes a product is made in.
    static func sizeRun(_ gender: Gender) -> [ShoeSize] {
        let range: ClosedRange<Int> =
            switch gender {
            case .men, .unisex: 39...47
            case .women: 35...42
            case .kids: 28...35
            }
        return range.map { ShoeSize(tenths: $0 * 10) }
    }

    /// An approximate US size for an EU size, as printed on size charts.
    static func usSize(_ eu: ShoeSize, _ gender: Gender) -> ShoeSize {
        let offset =
            switch gender {
            case .men, .unisex: 330
            case .women: 305
            case .kids: 170
            }
        return ShoeSize(tenths: eu.tenths - offset)
    }

    /// The stock a region starts with for a SKU: mostly a few dozen, sometimes none.
    public func initialStock(sku: String, region: Region) -> Int {
        var hash: UInt64 = seed
        for byte in Array(sku.utf8) + Array(region.name.utf8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var random = SplitMix64(seed: hash)
        return random.next(below: 10) == 0 ? 0 : 1 + random.next(below: 40)
    }
}
