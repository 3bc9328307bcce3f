import StorefrontHealth
import Testing

@Suite struct FlowWindowsTests {
    @Test func countsRequestsAndServerErrorsPerFlow() {
        let windows = FlowWindows(seconds: 10)
        for index in 0..<100 { windows.record(.checkout, milliseconds: 5, serverError: index < 7, at: 1_000) }
        windows.record(.browse, milliseconds: 1, serverError: false, at: 1_000)
        let checkout = windows.summary(.checkout, at: 1_000)
        #expect(checkout.requests == 100)
        #expect(checkout.errors == 7)
        #expect(abs(checkout.errorRatio - 0.07) < 1e-9)
        #expect(windows.summary(.browse, at: 1_000).requests == 1)
        #expect(windows.summary(.cart, at: 1_000).requests == 0)
        #expect(windows.summary(.cart, at: 1_000).p99 == nil)
    }

    @Test func theP99IsWithinABucketOfTheTruth() throws {
        let windows = FlowWindows(seconds: 10)
        // 990 fast requests and 10 slow ones: the 99th percentile is the slowest fast one.
        for _ in 0..<990 { windows.record(.browse, milliseconds: 2, serverError: false, at: 50) }
        for _ in 0..<10 { windows.record(.browse, milliseconds: 800, serverError: false, at: 50) }
        let p99 = try #require(windows.summary(.browse, at: 50).p99)
        #expect(p99 >= 2 && p99 <= 2.5)
        windows.record(.browse, milliseconds: 800, serverError: false, at: 50)
        let slower = try #require(windows.summary(.browse, at: 50).p99)
        #expect(slower >= 800 && slower <= 1000)
    }

    @Test func oldSecondsLeaveTheWindow() {
        let windows = FlowWindows(seconds: 10)
        windows.record(.cart, milliseconds: 3, serverError: true, at: 100)
        windows.record(.cart, milliseconds: 3, serverError: false, at: 105)
        #expect(windows.summary(.cart, at: 109).requests == 2)
        #expect(windows.summary(.cart, at: 110).requests == 1)
        #expect(windows.summary(.cart, at: 110).errors == 0)
        // A slot reused by a later second starts from zero.
        windows.record(.cart, milliseconds: 3, serverError: false, at: 120)
        #expect(windows.summary(.cart, at: 120).requests == 1)
    }
}
