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

    /// 90 quick requests and 10 blocked ones: the blocked are the top tenth, so the p99 is their age so far,
    /// counted from the end of the second they began in.
    @Test func runningRequestsCountInThePercentileAtTheirAge() throws {
        let windows = FlowWindows(seconds: 10)
        for _ in 0..<90 { windows.record(.checkout, milliseconds: 3, serverError: false, at: 200) }
        let blocked = (0..<10).map { _ in windows.begin(.checkout, at: 200) }
        let summary = windows.summary(.checkout, at: 203.5)
        #expect(summary.requests == 90 && summary.running == 10)
        let p99 = try #require(summary.p99)
        #expect(p99 >= 2_500 && p99 <= 2_500 * 1.25, "\(p99)")
        #expect(windows.summary(.browse, at: 203.5).running == 0, "flows are counted apart")
        // The database in trouble until second 202: the blocked requests' wait counts only from its end.
        let afterTrouble = windows.summary(.checkout, at: 203.5, after: 202)
        #expect(afterTrouble.requests == 0 && afterTrouble.running == 10)
        #expect(try #require(afterTrouble.p99) <= 500 * 1.25, "waiting 0.5 s since the trouble, not 2.5 s")
        for began in blocked { windows.end(.checkout, began: began) }
        #expect(windows.summary(.checkout, at: 203.5).running == 0)
        #expect(try #require(windows.summary(.checkout, at: 203.5).p99) <= 3 * 1.25)
    }

    /// One request stuck among many does not move the percentile: a flow is not judged by its worst request.
    @Test func oneStuckRequestAmongManyIsNotThePercentile() throws {
        let windows = FlowWindows(seconds: 10)
        for _ in 0..<500 { windows.record(.browse, milliseconds: 2, serverError: false, at: 400) }
        _ = windows.begin(.browse, at: 400)
        #expect(try #require(windows.summary(.browse, at: 409.5).p99) <= 2.5)
    }

    @Test func aRequestLongerThanTheWindowIsNoLongerSeenNorMiscounted() {
        let windows = FlowWindows(seconds: 10)
        let stuck = windows.begin(.cart, at: 300)
        #expect(windows.summary(.cart, at: 309.9).running == 1)
        #expect(windows.summary(.cart, at: 310).running == 0)
        // Its slot now holds a later second; the old request's end must not count against it.
        let later = windows.begin(.cart, at: 310)
        windows.end(.cart, began: stuck)
        #expect(windows.summary(.cart, at: 310.5).running == 1)
        windows.end(.cart, began: later)
        #expect(windows.summary(.cart, at: 310.5).running == 0)
    }
}
