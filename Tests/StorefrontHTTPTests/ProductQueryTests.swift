import StorefrontCore
import Testing

@testable import StorefrontHTTP

@Suite struct ProductQueryTests {
    func parse(_ pairs: [(String, String)]) throws -> ProductQuery.Parsed {
        try ProductQuery.parse(pairs.map { (name: $0.0, value: $0.1) })
    }

    func fieldErrors(_ pairs: [(String, String)]) -> [String] {
        do {
            _ = try parse(pairs)
            return []
        } catch let StorefrontError.invalidRequest(errors) {
            return errors.map(\.field)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test func noParametersMeansNewestFirstAndTheDefaultPageSize() throws {
        let parsed = try parse([])
        #expect(parsed.query.sort == .newest)
        #expect(parsed.query.limit == ProductQuery.defaultLimit)
        #expect(parsed.cursor == nil)
    }

    @Test func everyFilterIsParsed() throws {
        let query = try parse([
            ("brand", "northpeak"), ("category", "trail-running"), ("gender", "women"), ("size", "us:9.5"),
            ("colour", "navy"), ("min_price", "5000"), ("max_price", "15000"), ("in_stock", "true"), ("q", "  gore tex "),
            ("sort", "price_desc"), ("limit", "100"),
        ]).query
        #expect(query.brand == "northpeak")
        #expect(query.category == "trail-running")
        #expect(query.gender == .women)
        #expect(query.size == SizeFilter(system: .us, size: ShoeSize(tenths: 95)))
        #expect(query.colour == "navy")
        #expect(query.minPrice == 5000)
        #expect(query.maxPrice == 15000)
        #expect(query.inStock)
        #expect(query.text == "gore tex")
        #expect(query.sort == .priceDescending)
        #expect(query.limit == 100)
    }

    @Test func textSearchSortsByRelevanceUnlessToldOtherwise() throws {
        #expect(try parse([("q", "boots")]).query.sort == .relevance)
        #expect(try parse([("q", "boots"), ("sort", "newest")]).query.sort == .newest)
    }

    @Test(arguments: [
        ("limit", "0"), ("limit", "101"), ("limit", "ten"), ("limit", "-1"), ("limit", "+5"), ("min_price", "+5"), ("size", "42"), ("size", "uk:8"),
        ("size", "eu:42.3"), ("size", "eu:"), ("gender", "male"), ("in_stock", "yes"), ("min_price", "-5"),
        ("max_price", "12.50"), ("brand", "Nike"), ("brand", "a b"), ("colour", "red;drop"), ("sort", "cheapest"),
        ("q", "   "), ("cursor", ""), ("category", String(repeating: "a", count: 65)),
    ])
    func invalidValuesAreRejectedByField(name: String, value: String) {
        #expect(fieldErrors([(name, value)]) == [name])
    }

    @Test func unknownAndRepeatedParametersAreRejected() {
        #expect(fieldErrors([("colour", "red"), ("colour", "blue")]) == ["colour"])
        #expect(fieldErrors([("color", "red")]) == ["color"])
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        #expect(Set(fieldErrors([("limit", "0"), ("sort", "x"), ("gender", "y")])) == ["limit", "sort", "gender"])
    }

    @Test func relevanceNeedsTextAndPriceBoundsMustBeOrdered() {
        #expect(fieldErrors([("sort", "relevance")]) == ["sort"])
        #expect(fieldErrors([("min_price", "200"), ("max_price", "100")]) == ["min_price"])
    }

    @Test func overlongTextIsRejected() {
        #expect(fieldErrors([("q", String(repeating: "x", count: 201))]) == ["q"])
    }
}

@Suite struct ShoeSizeTests {
    @Test func wholeAndHalfSizesParse() {
        #expect(ShoeSize("42")?.tenths == 420)
        #expect(ShoeSize("42.5")?.tenths == 425)
        #expect(ShoeSize("9.0")?.tenths == 90)
        #expect(ShoeSize("42.5")?.description == "42.5")
        #expect(ShoeSize("42")?.description == "42")
    }

    @Test(arguments: ["", "0", "61", "42.25", "42.7", "4a", "٤٢", "+42", ".5"])
    func nonsenseIsRejected(text: String) {
        #expect(ShoeSize(Substring(text)) == nil)
    }
}
