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

    @Test func aRunningRequestIsAsOldAsTheEndOfTheSecondItBeganIn() throws {
        let windows = FlowWindows(seconds: 10)
        #expect(windows.inFlight(.checkout, at: 200) == nil)
        let blocked = windows.begin(.checkout, at: 200)
        let quick = windows.begin(.checkout, at: 202)
        windows.end(.checkout, began: quick)
        _ = windows.begin(.checkout, at: 203)
        let running = try #require(windows.inFlight(.checkout, at: 203.5))
        #expect(running.count == 2)
        #expect(abs(running.oldestMilliseconds - 2_500) < 1e-6, "began in second 200, so at the latest at 201")
        #expect(windows.inFlight(.browse, at: 203.5) == nil, "flows are counted apart")
        windows.end(.checkout, began: blocked)
        let left = try #require(windows.inFlight(.checkout, at: 204.5))
        #expect(left.count == 1 && abs(left.oldestMilliseconds - 500) < 1e-6)
        #expect(windows.inFlight(.checkout, at: 203.5)?.oldestMilliseconds == 0, "within its own second")
    }

    @Test func aRequestLongerThanTheWindowIsNoLongerSeenNorMiscounted() {
        let windows = FlowWindows(seconds: 10)
        let stuck = windows.begin(.cart, at: 300)
        #expect(windows.inFlight(.cart, at: 309.9)?.count == 1)
        #expect(windows.inFlight(.cart, at: 310) == nil)
        // Its slot now holds a later second; the old request's end must not count against it.
        let later = windows.begin(.cart, at: 310)
        windows.end(.cart, began: stuck)
        #expect(windows.inFlight(.cart, at: 310.5)?.count == 1)
        windows.end(.cart, began: later)
        #expect(windows.inFlight(.cart, at: 310.5) == nil)
    }
}

/// A flow's API outcomes while the database is troubled are the database's; after, only what came after.
@Suite struct FlowOutcomesTests {
    let model = HealthModel(region: "eu-west", catalogHome: "us-east", peers: ["us-east"])

    func report(_ statuses: [SignalID: HealthStatus]) -> HealthReport {
        var trackers: [SignalID: SignalTracker] = [:]
        for signal in model.signals {
            var tracker = SignalTracker(hysteresis: Hysteresis(toWorse: 1, toBetter: 1))
            tracker.follow(SignalSample(value: 1, unit: "ms", status: statuses[signal] ?? .healthy, output: "scripted"))
            trackers[signal] = tracker
        }
        return HealthReport.evaluate(model: model, trackers: trackers, startupPending: [], previous: nil, staleAfter: .seconds(3))
    }

    @Test func aTroubledDatabaseIsTheCauseAndTheWindowRestartsWhenItRecovers() {
        var outcomes = FlowOutcomes()
        outcomes.observe(report([:]), at: 100)
        #expect(outcomes.cause == nil && outcomes.judgedAfter == nil)
        outcomes.observe(report([.poolWait: .degraded, .databaseWrite: .unhealthy, .databaseRead: .unhealthy]), at: 101)
        #expect(outcomes.cause == .databaseRead, "the worst, and the read before the write")
        #expect(outcomes.judgedAfter == nil, "while it lasts, the whole window counts, as its consequence")
        outcomes.observe(report([.poolWait: .degraded]), at: 105)
        #expect(outcomes.cause == .poolWait)
        outcomes.observe(report([:]), at: 106)
        #expect(outcomes.cause == nil)
        #expect(outcomes.judgedAfter == 105)
    }

    /// Replication lag is no request's dependency: it never takes the blame for a flow's errors.
    @Test func replicationTroubleIsNotACause() {
        var outcomes = FlowOutcomes()
        outcomes.observe(report([.replicationLag("us-east"): .unhealthy, .subscription("us-east"): .unhealthy]), at: 100)
        #expect(outcomes.cause == nil && outcomes.judgedAfter == nil)
    }

    @Test func theWindowCountsOnlyTheSecondsAfterTheTrouble() {
        let windows = FlowWindows(seconds: 10)
        let now = FlowWindows.nowEpoch()
        windows.record(.checkout, milliseconds: 5, serverError: true, at: now - 4)
        windows.record(.checkout, milliseconds: 5, serverError: false, at: now - 1)
        #expect(windows.summary(.checkout, at: now).requests == 2)
        let after = windows.summary(.checkout, at: now, after: now - 3)
        #expect(after.requests == 1 && after.errors == 0)
    }
}

extension FlowOutcomesTests {
    /// A request counts in the second it began; one that began before the window's oldest second counts no
    /// more, rather than wiping a newer second that shares its slot.
    @Test func aRequestOlderThanTheWindowDoesNotWipeANewerSecond() {
        let windows = FlowWindows(seconds: 10)
        let now = FlowWindows.nowEpoch()
        windows.record(.browse, milliseconds: 5, serverError: false, at: now)
        windows.record(.browse, milliseconds: 30_000, serverError: true, at: now - 10)
        let summary = windows.summary(.browse, at: now)
        #expect(summary.requests == 1 && summary.errors == 0)
    }
}
