import PostgresNIO
import StorefrontCore

/// The one statement behind a listing page: filters, text search, order and keyset position.
///
/// The SQL text is assembled from constant fragments chosen by the query's shape; every value is a bound
/// parameter. It returns only ids, sort keys and text ranks: the products themselves come from the catalog
/// snapshot.
struct ProductSearchSQL {
    private var sql = ""
    private var binds = PostgresBindings()

    init(query: ProductQuery, cursor: PageCursor?, stockRegion: Region, limit: Int) {
        var conditions = ["p.price_from IS NOT NULL"]
        if let brand = query.brand { conditions.append("p.brand = \(bind(brand))") }
        if let category = query.category { conditions.append("p.category = \(bind(category))") }
        if let gender = query.gender { conditions.append("p.gender = \(bind(gender.rawValue))") }

        var rank = ""
        if let text = query.text {
            let tsQuery = "websearch_to_tsquery('english', \(bind(text)))"
            conditions.append("p.search @@ \(tsQuery)")
            rank = "ts_rank(p.search, \(tsQuery))"
        }

        // Variant filters hold for one and the same variant.
        var variantConditions: [String] = []
        if let size = query.size {
            let column = size.system == .eu ? "v.eu_size_tenths" : "v.us_size_tenths"
            variantConditions.append("\(column) = \(bind(Int16(size.size.tenths)))")
        }
        if let colour = query.colour { variantConditions.append("v.colour = \(bind(colour))") }
        if let minPrice = query.minPrice { variantConditions.append("v.price_amount >= \(bind(minPrice))") }
        if let maxPrice = query.maxPrice { variantConditions.append("v.price_amount <= \(bind(maxPrice))") }
        if query.inStock {
            variantConditions.append(
                "EXISTS (SELECT 1 FROM stock s WHERE s.sku = v.sku AND s.region = \(bind(stockRegion.name)) AND s.available > 0)"
            )
        }
        if !variantConditions.isEmpty {
            conditions.append(
                "EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND \(variantConditions.joined(separator: " AND ")))"
            )
        }

        let sortKey: String
        let order: String
        switch query.sort {
        case .newest:
            sortKey = "(extract(epoch FROM p.created_at) * 1000000)::int8"
            order = "p.created_at DESC, p.id DESC"
            if let cursor {
                conditions.append(
                    "(p.created_at, p.id) < ('epoch'::timestamptz + \(bind(cursor.sortKey)) * interval '1 microsecond', \(bind(cursor.id)))"
                )
            }
        case .priceAscending:
            sortKey = "p.price_from"
            order = "p.price_from ASC, p.id ASC"
            if let cursor { conditions.append("(p.price_from, p.id) > (\(bind(cursor.sortKey)), \(bind(cursor.id)))") }
        case .priceDescending:
            sortKey = "p.price_from"
            order = "p.price_from DESC, p.id DESC"
            if let cursor { conditions.append("(p.price_from, p.id) < (\(bind(cursor.sortKey)), \(bind(cursor.id)))") }
        case .relevance:
            // The rank travels in the cursor as the bit pattern of its float4, so the comparison is exact.
            let rankExpression = rank.isEmpty ? "0::float4" : rank
            sortKey = "0::int8"
            order = "\(rankExpression) DESC, p.id ASC"
            if let cursor {
                let rankAfter = bind(Float(bitPattern: UInt32(truncatingIfNeeded: cursor.sortKey)))
                conditions.append(
                    "(\(rankExpression) < \(rankAfter) OR (\(rankExpression) = \(rankAfter) AND p.id > \(bind(cursor.id))))"
                )
            }
        }

        sql = """
            SELECT p.id, \(sortKey) AS sort_key, \(rank.isEmpty ? "0::float4" : rank) AS rank FROM products p
            WHERE \(conditions.joined(separator: "\n  AND "))
            ORDER BY \(order)
            LIMIT \(bind(Int64(limit)))
            """
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }

    private mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }
}
