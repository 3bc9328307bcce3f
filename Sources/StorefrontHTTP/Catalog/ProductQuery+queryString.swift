import StorefrontCore

/// `GET /v1/products`'s query string, the wire's names (`min_price`, `in_stock`, …) read into the
/// catalog's query: they belong to HTTP, the query to the catalog.
extension ProductQuery {
    /// The query parameters of `GET /v1/products`, validated; every problem is reported, not just the first.
    public struct Parsed: Sendable {
        public var query: ProductQuery
        public var cursor: String?
    }

    public static func parse(_ parameters: [(name: String, value: String)]) throws(StorefrontError) -> Parsed {
        var errors: [FieldError] = []
        var seen = Set<String>()
        var values: [String: String] = [:]
        for (name, value) in parameters {
            guard Self.parameterNames.contains(name) else {
                errors.append(
                    FieldError(field: name, detail: "unknown query parameter; known: \(Self.parameterNames.sorted().joined(separator: ", "))")
                )
                continue
            }
            guard seen.insert(name).inserted else {
                errors.append(FieldError(field: name, detail: "given more than once"))
                continue
            }
            values[name] = value
        }

        func slug(_ name: String) -> String? {
            guard let value = values[name] else { return nil }
            guard isSlug(value) else {
                errors.append(FieldError(field: name, detail: "must be a slug of a-z, 0-9 and dashes"))
                return nil
            }
            return value
        }
        func price(_ name: String) -> Int64? {
            guard let value = values[name] else { return nil }
            guard let amount = wholeNumber(value[...]).map(Int64.init) else {
                errors.append(FieldError(field: name, detail: "must be a non-negative whole number of minor units (cents)"))
                return nil
            }
            return amount
        }

        let brand = slug("brand")
        let category = slug("category")
        let colour = slug("colour")
        var gender: Gender?
        if let value = values["gender"] {
            gender = Gender(rawValue: value)
            if gender == nil {
                errors.append(FieldError(field: "gender", detail: "must be one of \(Gender.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        var size: SizeFilter?
        if let value = values["size"] {
            size = SizeFilter(value)
            if size == nil {
                errors.append(FieldError(field: "size", detail: "must be eu:SIZE or us:SIZE, for example eu:42 or us:9.5"))
            }
        }
        let minPrice = price("min_price")
        let maxPrice = price("max_price")
        if let minPrice, let maxPrice, minPrice > maxPrice {
            errors.append(FieldError(field: "min_price", detail: "must not exceed max_price"))
        }
        var inStock = false
        if let value = values["in_stock"] {
            switch value {
            case "true": inStock = true
            case "false": inStock = false
            default: errors.append(FieldError(field: "in_stock", detail: "must be true or false"))
            }
        }
        var text: String?
        if let value = values["q"] {
            let trimmed = value.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.count > Self.maxTextLength {
                errors.append(FieldError(field: "q", detail: "must be 1-\(Self.maxTextLength) characters"))
            } else {
                text = trimmed
            }
        }
        var sort: ProductSort?
        if let value = values["sort"] {
            sort = ProductSort(rawValue: value)
            if sort == nil {
                errors.append(FieldError(field: "sort", detail: "must be one of \(ProductSort.allCases.map(\.rawValue).joined(separator: ", "))"))
            } else if sort == .relevance, values["q"] == nil {
                errors.append(FieldError(field: "sort", detail: "relevance needs a text search (q)"))
            }
        }
        var limit = Self.defaultLimit
        if let value = values["limit"] {
            if let parsed = wholeNumber(value[...]), Self.limitRange.contains(parsed) {
                limit = parsed
            } else {
                errors.append(
                    FieldError(field: "limit", detail: "must be a whole number from \(Self.limitRange.lowerBound) to \(Self.limitRange.upperBound)")
                )
            }
        }
        if let cursor = values["cursor"], cursor.isEmpty || cursor.utf8.count > 512 {
            errors.append(FieldError(field: "cursor", detail: "is not a cursor this API returned"))
        }

        guard errors.isEmpty else { throw .invalidRequest(errors) }
        let query = ProductQuery(
            brand: brand,
            category: category,
            gender: gender,
            size: size,
            colour: colour,
            minPrice: minPrice,
            maxPrice: maxPrice,
            inStock: inStock,
            text: text,
            sort: sort,
            limit: limit
        )
        return Parsed(query: query, cursor: values["cursor"])
    }

    static let parameterNames: Set<String> = [
        "brand", "category", "gender", "size", "colour", "min_price", "max_price", "in_stock", "q", "sort", "limit", "cursor",
    ]
}
