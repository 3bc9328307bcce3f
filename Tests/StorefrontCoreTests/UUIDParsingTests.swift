import Foundation
import StorefrontCore
import Testing

/// The memory reads parse product ids themselves: they must read exactly what Foundation reads.
@Suite struct UUIDParsingTests {
    @Test func everyIdReadsAsFoundationReadsIt() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(UUID(hexadecimal: id.uuidString) == id)
            #expect(UUID(hexadecimal: id.uuidString.lowercased()) == id)
            #expect(UUID(hexadecimal: id.uuidString.lowercased()[...]) == UUID(uuidString: id.uuidString.lowercased()))
        }
    }

    @Test(arguments: [
        "", "2de2d863-e5c4-46cd-b412-201a7171b85", "2de2d863-e5c4-46cd-b412-201a7171b8555", "2de2d863e5c4-46cd-b412-201a7171b8555",
        "2de2d863-e5c4-46cd-b412-201a7171b85g", "2de2d863-e5c4-46cd+b412-201a7171b855", "{2de2d863-e5c4-46cd-b412-201a7171b855}",
        "2de2d863-e5c4-46cd-b412-201a7171b855/", "２de2d863-e5c4-46cd-b412-201a7171b855",
    ])
    func whatFoundationRefusesIsRefused(text: String) {
        #expect(UUID(hexadecimal: text) == nil)
        #expect(UUID(uuidString: text) == nil)
    }
}
