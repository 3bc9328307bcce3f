import StorefrontHealth
import Testing

@Suite struct PeerSilenceTests {
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64(seconds * 1000)) }

    @Test func aPeerSilentForLessThanTheLimitIsBusyNotDown() {
        var silence = PeerSilence(limit: .seconds(3))
        for second in [0.0, 1, 2, 2.9] {
            let sample = silence.unanswered("us-east", "deadline exceeded", at: at(second))
            #expect(sample.status == .degraded, "after \(second) s")
            #expect(!sample.certain)
        }
        let down = silence.unanswered("us-east", "deadline exceeded", at: at(3))
        #expect(down.status == .unhealthy)
        #expect(down.output.contains("no answer for 3 s"), "\(down.output)")
    }

    /// A region that stalls for two seconds, answers, and stalls again is busy twice, never gone.
    @Test func anAnswerEndsTheSilence() {
        var silence = PeerSilence(limit: .seconds(3))
        _ = silence.unanswered("us-east", "deadline exceeded", at: at(0))
        _ = silence.unanswered("us-east", "deadline exceeded", at: at(2))
        silence.answered("us-east")
        #expect(silence.unanswered("us-east", "deadline exceeded", at: at(3)).status == .degraded)
        #expect(silence.unanswered("us-east", "deadline exceeded", at: at(5.5)).status == .degraded)
        #expect(silence.unanswered("us-east", "deadline exceeded", at: at(6)).status == .unhealthy)
    }

    @Test func eachPeerHasItsOwnSilence() {
        var silence = PeerSilence(limit: .seconds(3))
        _ = silence.unanswered("us-east", "deadline exceeded", at: at(0))
        #expect(silence.unanswered("eu-west", "deadline exceeded", at: at(3)).status == .degraded)
        #expect(silence.unanswered("us-east", "deadline exceeded", at: at(3)).status == .unhealthy)
    }

    @Test func aRefusalIsDownAtOnceAndStartsTheSilence() {
        var silence = PeerSilence(limit: .seconds(3))
        let refused = silence.refused("us-east", "connection refused", at: at(0))
        #expect(refused.status == .unhealthy && refused.certain)
        #expect(silence.unanswered("us-east", "deadline exceeded", at: at(3)).status == .unhealthy)
    }

    /// The first sample a region ever takes of a peer sets the signal at once: a busy peer at start-up must
    /// not be taken for a dead one.
    @Test func aFirstSampleOfASilentPeerLeavesItDegraded() {
        var silence = PeerSilence()
        var tracker = SignalTracker(hysteresis: Hysteresis(toWorse: 2, toBetter: 3))
        tracker.record(silence.unanswered("us-east", "deadline exceeded"))
        #expect(tracker.status == .degraded)
    }

    @Test func aSlowAnswerDegradesAndNeverFailsByDefault() {
        let thresholds = HealthThresholds()
        #expect(SignalSample.measured(5000, unit: "ms", against: thresholds.peerMilliseconds, what: "answered in").status == .degraded)
    }
}
