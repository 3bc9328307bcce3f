import Foundation
import Testing

@testable import StorefrontCore

@Suite struct CursorCodecTests {
    let codec = CursorCodec(secret: "test-secret")
    let query = ProductQuery(brand: "vanta", sort: .priceAscending)
    let cursor = PageCursor(sortKey: 12_999, id: UUID())

    @Test func aSealedCursorOpensToTheSamePosition() throws {
        #expect(try codec.open(codec.seal(cursor, scope: query.fingerprint), scope: query.fingerprint) == cursor)
    }

    @Test func theCursorSurvivesAChangeOfPageSize() throws {
        var biggerPages = query
        biggerPages.limit = 100
        #expect(try codec.open(codec.seal(cursor, scope: query.fingerprint), scope: biggerPages.fingerprint) == cursor)
    }

    @Test func everyAlteredCharacterIsDetected() throws {
        let sealed = Array(codec.seal(cursor, scope: query.fingerprint))
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] = tampered[index] == "A" ? "B" : "A"
            #expect(throws: StorefrontError.self) { try codec.open(String(tampered), scope: query.fingerprint) }
        }
    }

    @Test func aCursorFromAnotherQueryOrSecretIsRejected() {
        let sealed = codec.seal(cursor, scope: query.fingerprint)
        var otherQuery = query
        otherQuery.brand = "kestrel"
        #expect(throws: StorefrontError.self) { try codec.open(sealed, scope: otherQuery.fingerprint) }
        #expect(throws: StorefrontError.self) { try CursorCodec(secret: "other").open(sealed, scope: query.fingerprint) }
    }

    @Test(arguments: ["", "abc", "!!!!", String(repeating: "A", count: 54), "AAAA=="])
    func garbageIsRejected(text: String) {
        #expect(throws: StorefrontError.self) { try codec.open(text, scope: query.fingerprint) }
    }

    @Test func negativeAndLargeSortKeysRoundTrip() throws {
        for key in [Int64.min, -1, 0, Int64.max, Int64(Float(0.06).bitPattern)] {
            let cursor = PageCursor(sortKey: key, id: UUID())
            #expect(try codec.open(codec.seal(cursor, scope: query.fingerprint), scope: query.fingerprint) == cursor)
        }
    }
}
