import Foundation
import StorefrontCore
import Testing

@testable import StorefrontApp

@Suite struct LogLineTests {
    @Test func timestampsAreISO8601InUTCWithMilliseconds() throws {
        let before = Date()
        let text = UTCTimestamp.now()
        let after = Date()
        #expect(text.utf8.count == 24 && text.hasSuffix("Z"), "\(text)")
        let parsed = try #require(try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)))
        #expect(parsed >= before.addingTimeInterval(-0.001) && parsed <= after, "\(text)")
    }

    @Test func noFieldCanForgeALine() {
        let quoted = JSONLogHandler.quote("a\"b\\c\nd\u{1}")
        #expect(quoted == #""a\"b\\c\nd\u0001""#)
    }
}
