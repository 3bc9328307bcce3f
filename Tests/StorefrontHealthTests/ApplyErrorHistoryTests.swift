import StorefrontHealth
import Testing

/// How a subscription's state and its apply errors over time become its signal's samples.
@Suite struct ApplyErrorHistoryTests {
    let start = ContinuousClock.now
    func running(_ errors: Int) -> ApplyErrorHistory.Subscription { (enabled: true, workerRunning: true, applyErrors: errors) }

    @Test func aMissingOrDisabledSubscriptionFailsForCertain() {
        var history = ApplyErrorHistory()
        let missing = history.sample(for: "eu-west", nil, caughtUp: false, now: start)
        #expect(missing.status == .unhealthy && missing.certain)
        let disabled = history.sample(for: "eu-west", (enabled: false, workerRunning: false, applyErrors: 0), caughtUp: false, now: start)
        #expect(disabled.status == .unhealthy && disabled.certain)
        #expect(disabled.output == "subscription to eu-west is disabled")
    }

    @Test func aSubscriptionWithoutAWorkerReceivesNothing() {
        var history = ApplyErrorHistory()
        let sample = history.sample(for: "eu-west", (enabled: true, workerRunning: false, applyErrors: 0), caughtUp: false, now: start)
        #expect(sample.status == .unhealthy && !sample.certain)
    }

    /// The count only ever rises: errors long past are healthy, errors that rose lately degrade for a
    /// minute, or until the peer's changes apply again.
    @Test func risenErrorsDegradeForAMinuteOrUntilCaughtUp() {
        var history = ApplyErrorHistory()
        #expect(history.sample(for: "eu-west", running(4), caughtUp: false, now: start).status == .healthy, "errors from before it was watched")
        #expect(history.sample(for: "eu-west", running(5), caughtUp: false, now: start + .seconds(1)).status == .degraded)
        #expect(history.sample(for: "eu-west", running(5), caughtUp: false, now: start + .seconds(60)).status == .degraded)
        #expect(history.sample(for: "eu-west", running(5), caughtUp: false, now: start + .seconds(61)).status == .healthy)
        #expect(history.sample(for: "eu-west", running(6), caughtUp: false, now: start + .seconds(62)).status == .degraded)
        #expect(history.sample(for: "eu-west", running(6), caughtUp: true, now: start + .seconds(63)).status == .healthy)
    }

    @Test func eachPeerHasItsOwnHistory() {
        var history = ApplyErrorHistory()
        _ = history.sample(for: "eu-west", running(0), caughtUp: false, now: start)
        _ = history.sample(for: "ap-southeast", running(0), caughtUp: false, now: start)
        #expect(history.sample(for: "eu-west", running(1), caughtUp: false, now: start).status == .degraded)
        #expect(history.sample(for: "ap-southeast", running(0), caughtUp: false, now: start).status == .healthy)
    }
}
