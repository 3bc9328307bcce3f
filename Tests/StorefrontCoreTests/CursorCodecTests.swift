import Foundation
import Testing

@testable import StorefrontCore

@Suite struct CursorCodecTests {
    let codec = CursorCodec(secret: "test-secret")
    let query = ProductQuery(brand: "vanta", sort: .priceAscending)
    let cursor = ProductCursor(sortKey: 12_999, id: UUID())

    @Test func aSealedCursorOpensToTheSamePosition() throws {
        #expect(try codec.open(codec.seal(cursor, for: query), for: query) == cursor)
    }

    @Test func theCursorSurvivesAChangeOfPageSize() throws {
        var biggerPages = query
        biggerPages.limit = 100
        #expect(try codec.open(codec.seal(cursor, for: query), for: biggerPages) == cursor)
    }

    @Test func everyAlteredCharacterIsDetected() throws {
        let sealed = Array(codec.seal(cursor, for: query))
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] = tampered[index] == "A" ? "B" : "A"
            #expect(throws: StorefrontError.self) { try codec.open(String(tampered), for: query) }
        }
    }

    @Test func aCursorFromAnotherQueryOrSecretIsRejected() {
        let sealed = codec.seal(cursor, for: query)
        var otherQuery = query
        otherQuery.brand = "kestrel"
        #expect(throws: StorefrontError.self) { try codec.open(sealed, for: otherQuery) }
        #expect(throws: StorefrontError.self) { try CursorCodec(secret: "other").open(sealed, for: query) }
    }

    @Test(arguments: ["", "abc", "!!!!", String(repeating: "A", count: 54), "AAAA=="])
    func garbageIsRejected(text: String) {
        #expect(throws: StorefrontError.self) { try codec.open(text, for: query) }
    }

    @Test func negativeAndLargeSortKeysRoundTrip() throws {
        for key in [Int64.min, -1, 0, Int64.max, Int64(Float(0.06).bitPattern)] {
            let cursor = ProductCursor(sortKey: key, id: UUID())
            #expect(try codec.open(codec.seal(cursor, for: query), for: query) == cursor)
        }
    }
}
