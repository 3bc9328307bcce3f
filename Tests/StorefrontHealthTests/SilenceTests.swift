import StorefrontHealth
import Testing

@Suite struct SilenceTests {
    let start = ContinuousClock.now
    let east = SignalID.peerLive("us-east")
    let west = SignalID.peerLive("eu-west")

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64(seconds * 1000)) }

    @Test func aPeerSilentForLessThanTheLimitIsBusyNotDown() {
        var silence = Silence(limit: .seconds(3))
        for second in [0.0, 1, 2, 2.9] {
            let sample = silence.unanswered(east, "deadline exceeded", at: at(second))
            #expect(sample.status == .degraded, "after \(second) s")
            #expect(!sample.certain)
        }
        let down = silence.unanswered(east, "deadline exceeded", at: at(3))
        #expect(down.status == .unhealthy)
        #expect(down.output.contains("no answer for 3 s"), "\(down.output)")
    }

    /// A region that stalls for two seconds, answers, and stalls again is busy twice, never gone.
    @Test func anAnswerEndsTheSilence() {
        var silence = Silence(limit: .seconds(3))
        _ = silence.unanswered(east, "deadline exceeded", at: at(0))
        _ = silence.unanswered(east, "deadline exceeded", at: at(2))
        silence.answered(east)
        #expect(silence.unanswered(east, "deadline exceeded", at: at(3)).status == .degraded)
        #expect(silence.unanswered(east, "deadline exceeded", at: at(5.5)).status == .degraded)
        #expect(silence.unanswered(east, "deadline exceeded", at: at(6)).status == .unhealthy)
    }

    @Test func eachPeerHasItsOwnSilence() {
        var silence = Silence(limit: .seconds(3))
        _ = silence.unanswered(east, "deadline exceeded", at: at(0))
        #expect(silence.unanswered(west, "deadline exceeded", at: at(3)).status == .degraded)
        #expect(silence.unanswered(east, "deadline exceeded", at: at(3)).status == .unhealthy)
    }

    @Test func aRefusalIsDownAtOnceAndStartsTheSilence() {
        var silence = Silence(limit: .seconds(3))
        let refused = silence.refused(east, "connection refused", at: at(0))
        #expect(refused.status == .unhealthy && refused.certain)
        #expect(silence.unanswered(east, "deadline exceeded", at: at(3)).status == .unhealthy)
    }

    /// The first sample a region ever takes of a peer sets the signal at once: a busy peer at start-up must
    /// not be taken for a dead one.
    @Test func aFirstSampleOfASilentPeerLeavesItDegraded() {
        var silence = Silence()
        var tracker = SignalTracker(hysteresis: Hysteresis(toWorse: 2, toBetter: 3))
        tracker.record(silence.unanswered(east, "deadline exceeded"))
        #expect(tracker.status == .degraded)
    }

    /// The database's probes too: a database too busy to answer within the deadline is degraded, its reason
    /// kept, until the silence lasts; its read and write probes each have their own.
    @Test func aDatabaseSilentForLessThanTheLimitIsBusyNotDown() {
        var silence = Silence(limit: .seconds(3))
        let busy = silence.unanswered(.databaseRead, "could not connect (timed out)", at: at(0))
        #expect(busy.status == .degraded)
        #expect(busy.output.hasPrefix("could not connect (timed out): busy or gone"), "\(busy.output)")
        #expect(silence.unanswered(.databaseWrite, "no answer within 800 ms", at: at(3)).status == .degraded)
        let down = silence.unanswered(.databaseRead, "no answer within 800 ms", at: at(3))
        #expect(down.status == .unhealthy)
        #expect(down.output == "no answer for 3 s: taken for down (no answer within 800 ms)")
    }

    @Test func aSlowAnswerDegradesAndNeverFailsByDefault() {
        let thresholds = HealthThresholds()
        #expect(SignalSample.measured(5000, unit: "ms", against: thresholds.peerMilliseconds, what: "answered in").status == .degraded)
    }
}
