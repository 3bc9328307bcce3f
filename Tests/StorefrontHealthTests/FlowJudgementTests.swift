import StorefrontHealth
import Testing

/// How a flow's window becomes its two API samples (`FlowWindows.Summary.samples`), which the prober records.
@Suite struct FlowJudgementTests {
    let thresholds = HealthThresholds()

    func judged(_ windows: FlowWindows, at now: Double, recovered: Int64? = nil, cause: SignalID? = nil) -> (errors: SignalSample, p99: SignalSample)
    {
        windows.summary(.checkout, at: now).samples(windowSeconds: 10, recoveredSecondsAgo: recovered, thresholds: thresholds, cause: cause)
    }

    @Test func tooFewRequestsAreNotJudgedHoweverTheyEnded() {
        let windows = FlowWindows(seconds: 10)
        for _ in 0..<(thresholds.minimumRequests - 1) { windows.record(.checkout, milliseconds: 5_000, serverError: true, at: 1_000) }
        let (errors, p99) = judged(windows, at: 1_000.5)
        #expect(errors.status == .healthy && p99.status == .healthy)
        #expect(errors.output == "\(thresholds.minimumRequests - 1) requests in the last 10 s, too few to judge")
    }

    @Test func enoughRequestsAreJudgedAgainstTheThresholds() {
        let windows = FlowWindows(seconds: 10)
        for index in 0..<100 { windows.record(.checkout, milliseconds: 5, serverError: index < 30, at: 1_000) }
        let (errors, p99) = judged(windows, at: 1_000.5)
        #expect(errors.status == .unhealthy, "30 % failed, over the 25 % that fails a flow")
        #expect(errors.output.hasPrefix("30 of 100 requests in the last 10 s failed: ratio 0.3"), "\(errors.output)")
        #expect(p99.status == .healthy)
    }

    /// Requests stuck on a lock have not finished: judged by their age, the flow is slow, not idle.
    @Test func stuckRequestsAreJudgedByTheirAge() {
        let windows = FlowWindows(seconds: 10)
        for _ in 0..<thresholds.minimumRequests { _ = windows.begin(.checkout, at: 1_000) }
        let (errors, p99) = judged(windows, at: 1_004)
        #expect(errors.output.contains("too few to judge"), "none has finished")
        #expect(p99.status == .unhealthy, "3 s and more, over the 2 s that fails a flow: \(p99.output)")
        #expect(p99.output.contains("and \(thresholds.minimumRequests) still running"), "\(p99.output)")
    }

    @Test func whileTheDatabaseIsTroubledTheFlowsSamplesArePutDownToIt() {
        let windows = FlowWindows(seconds: 10)
        for _ in 0..<100 { windows.record(.checkout, milliseconds: 5, serverError: true, at: 1_000) }
        let (errors, p99) = judged(windows, at: 1_000.5, cause: .databaseWrite)
        #expect(errors.consequenceOf == .databaseWrite && p99.consequenceOf == .databaseWrite)
    }

    @Test func afterARecoveryTheWindowSaysSo() {
        let windows = FlowWindows(seconds: 10)
        windows.record(.checkout, milliseconds: 5, serverError: false, at: 1_000)
        let (errors, _) = judged(windows, at: 1_000.5, recovered: 3)
        #expect(errors.output == "1 requests since the database recovered 3 s ago, too few to judge")
    }
}
