import Foundation
import StorefrontHealth
import Testing

@Suite struct SignalTrackerTests {
    func sample(_ status: HealthStatus) -> SignalSample {
        SignalSample(value: nil, unit: "ms", status: status, output: "\(status)")
    }

    func tracker(_ statuses: [HealthStatus], worse: Int = 2, better: Int = 3) -> SignalTracker {
        var tracker = SignalTracker(hysteresis: Hysteresis(toWorse: worse, toBetter: better))
        for status in statuses { tracker.record(sample(status)) }
        return tracker
    }

    @Test func theFirstSampleSetsTheState() {
        #expect(tracker([]).status == nil)
        #expect(tracker([.unhealthy]).status == .unhealthy)
        #expect(tracker([.healthy]).status == .healthy)
    }

    @Test func itTakesConsecutiveBadSamplesToGetWorse() {
        #expect(tracker([.healthy, .unhealthy]).status == .healthy)
        #expect(tracker([.healthy, .unhealthy, .unhealthy]).status == .unhealthy)
        #expect(tracker([.healthy, .unhealthy, .healthy, .unhealthy]).status == .healthy)
    }

    @Test func itTakesConsecutiveGoodSamplesToRecover() {
        #expect(tracker([.unhealthy, .healthy, .healthy]).status == .unhealthy)
        #expect(tracker([.unhealthy, .healthy, .healthy, .healthy]).status == .healthy)
        #expect(tracker([.unhealthy, .healthy, .healthy, .unhealthy, .healthy, .healthy]).status == .unhealthy)
    }

    /// In doubt from the first sample that disagrees with the state until the streak settles it, or a sample
    /// agreeing with the state ends the streak: the prober samples faster only for that long.
    @Test func inDoubtWhileAStreakIsUnsettled() {
        #expect(!tracker([.healthy]).inDoubt)
        #expect(tracker([.healthy, .degraded]).inDoubt)
        #expect(!tracker([.healthy, .degraded, .degraded]).inDoubt, "settled: degraded")
        #expect(!tracker([.healthy, .degraded, .healthy]).inDoubt, "the blip is over")
        #expect(tracker([.unhealthy, .healthy, .healthy]).inDoubt)
        #expect(!tracker([.unhealthy, .healthy, .healthy, .healthy]).inDoubt, "recovered")
    }

    /// A streak of mixed bad samples moves only as far as all of them agree.
    @Test func aMixedStreakMovesToTheLeastBadOfIt() {
        #expect(tracker([.healthy, .degraded, .unhealthy]).status == .degraded)
        #expect(tracker([.healthy, .unhealthy, .unhealthy]).status == .unhealthy)
        #expect(tracker([.unhealthy, .healthy, .degraded, .healthy]).status == .degraded)
    }

    /// Refused, a wrong password, a missing table: one sample proves it, and one good sample ends it.
    @Test func aCertainFailureTakesEffectAtTheFirstSampleAndEndsAtTheFirstGoodOne() {
        var tracker = self.tracker([.healthy], worse: 3, better: 3)
        tracker.record(.failed(unit: "ms", "could not connect (refused)", certain: true))
        #expect(tracker.status == .unhealthy)
        #expect(tracker.explanation == "could not connect (refused)")
        tracker.record(sample(.healthy))
        #expect(tracker.status == .healthy)
        // A failure that may be a moment's trouble still waits for the others to agree, and so does its end.
        for _ in 0..<3 { tracker.record(.failed(unit: "ms", "no answer within 800 ms")) }
        #expect(tracker.status == .unhealthy)
        tracker.record(sample(.healthy))
        tracker.record(sample(.healthy))
        #expect(tracker.status == .unhealthy)
        tracker.record(sample(.healthy))
        #expect(tracker.status == .healthy)
    }

    @Test func alternatingSamplesNeverChangeTheState() {
        let flapping = (0..<100).map { $0.isMultiple(of: 2) ? HealthStatus.healthy : .unhealthy }
        var tracker = SignalTracker(hysteresis: Hysteresis(toWorse: 2, toBetter: 3))
        var states: Set<HealthStatus> = []
        for status in flapping {
            tracker.record(sample(status))
            states.insert(tracker.status!)
        }
        #expect(states == [.healthy])
    }
}

@Suite struct SignalExplanationTests {
    @Test func whileTheLatestSampleDisagreesTheExplanationSaysWhyTheStateHolds() {
        var tracker = SignalTracker(hysteresis: Hysteresis(toWorse: 2, toBetter: 3))
        tracker.record(SignalSample(value: 900, unit: "ms", status: .unhealthy, output: "SELECT 1 took 900 ms"))
        #expect(tracker.explanation == "SELECT 1 took 900 ms")
        tracker.record(SignalSample(value: 2, unit: "ms", status: .healthy, output: "SELECT 1 took 2 ms"))
        #expect(tracker.explanation == "SELECT 1 took 900 ms (recovering: latest sample healthy, SELECT 1 took 2 ms)")
        tracker.record(SignalSample(value: 2, unit: "ms", status: .healthy, output: "SELECT 1 took 2 ms"))
        tracker.record(SignalSample(value: 2, unit: "ms", status: .healthy, output: "SELECT 1 took 2 ms"))
        #expect(tracker.status == .healthy)
        #expect(tracker.explanation == "SELECT 1 took 2 ms")
    }
}

/// What another signal's failure explained ends with it.
@Suite struct ConsequenceRecoveryTests {
    @Test func aStateAConsequenceSetRecoversAtTheFirstGoodSample() {
        var tracker = SignalTracker(hysteresis: Hysteresis(toWorse: 2, toBetter: 3))
        tracker.record(SignalSample(value: 0, unit: "ratio", status: .healthy, output: "fine"))
        let failing = SignalSample(value: 0.6, unit: "ratio", status: .unhealthy, output: "60 % failed", consequenceOf: .databaseRead)
        tracker.record(failing)
        tracker.record(failing)
        #expect(tracker.status == .unhealthy)
        tracker.record(SignalSample(value: 0, unit: "ratio", status: .healthy, output: "fine"))
        #expect(tracker.status == .healthy)
    }

    @Test func aStateItsOwnSamplesSetWaitsForTheHysteresis() {
        var tracker = SignalTracker(hysteresis: Hysteresis(toWorse: 2, toBetter: 3))
        tracker.record(SignalSample(value: 0, unit: "ratio", status: .healthy, output: "fine"))
        let failing = SignalSample(value: 0.6, unit: "ratio", status: .unhealthy, output: "60 % failed")
        tracker.record(failing)
        tracker.record(failing)
        tracker.record(SignalSample(value: 0, unit: "ratio", status: .healthy, output: "fine"))
        #expect(tracker.status == .unhealthy)
    }
}
