import Foundation
import StorefrontCore
import Synchronization

/// What this region knows about its own health. The prober records samples into it and evaluates the model
/// once per round; probes read the latest evaluation, so an orchestrator may probe as often as it likes
/// without adding a query to the database.
public final class HealthMonitor: Sendable {
    public let model: HealthModel
    public let thresholds: HealthThresholds
    /// How often the prober samples; an evaluation or a sample older than three intervals counts as failed.
    public let interval: Duration

    private struct State {
        var trackers: [SignalID: SignalTracker] = [:]
        var migrated = false
        var catalogLoaded = false
        var roundsCompleted = 0
        var firstRound: ContinuousClock.Instant?
        /// The live peers whose changes this region has not yet caught up with; nil once it has (or gave up).
        var catchingUp: [String]? = []
        /// Whether the region has ever been ready; before that, samples take effect at once.
        var hasBeenReady = false
        /// This instance's own drain: it is stopping (SIGTERM).
        var instanceDrain: Drain?
        /// The region's drain, as its database last said (`RegionSession`).
        var regionDrain = VersionedDrain(drain: nil, version: 0)
        var latest: HealthReport?
        var history: HealthHistory

        func drain(at now: Date) -> Drain? {
            if let instanceDrain { return instanceDrain }
            return regionDrain.drain.flatMap { $0.isActive(at: now) ? $0 : nil }
        }
    }

    private let state: Mutex<State>
    /// Counts the changes to what readiness reads (start-up progress, rounds, drains).
    private let changes = Atomic<UInt64>(0)

    public init(model: HealthModel, thresholds: HealthThresholds = .init(), interval: Duration = .seconds(1)) {
        self.model = model
        self.thresholds = thresholds
        self.interval = interval
        state = Mutex(State(history: HealthHistory(interval: interval)))
    }

    public var staleAfter: Duration { interval * 3 }
    /// A signal whose latest sample is older than `staleAfter` is late: degraded, as the prober's rounds slow
    /// down on saturated cores. Only once it is `stuckAfter` old is the prober taken for stuck: unhealthy, and
    /// a probe answered from an evaluation that old fails. As for a silent dependency (`Silence`), late is
    /// busy until it has lasted 3 s.
    public var stuckAfter: Duration { staleAfter + Silence.defaultLimit }
    /// Caught up with a peer: its latest heartbeat applied here is at most this old (heartbeats are written
    /// once an interval).
    public var caughtUpLag: Duration { max(.seconds(2), interval * 2) }
    /// How long start-up waits to catch up before it goes on regardless (the lag signal still says so).
    public static let catchUpLimit = Duration.seconds(60)

    public func markMigrated() { changing { $0.migrated = true } }
    public func markCatalogLoaded() { changing { $0.catalogLoaded = true } }

    /// Changes whenever anything readiness reads changes: a verdict made at one version holds, until the
    /// version moves or the instant `readinessHolds` gives passes.
    public var version: UInt64 { changes.load(ordering: .acquiring) }

    /// When a verdict made now stops holding by itself: the latest evaluation goes stale, or a drain lifts.
    public func readinessHolds(now: Date = Date(), instant: ContinuousClock.Instant = .now) -> ContinuousClock.Instant {
        state.withLock { state in
            var until = state.latest.map { $0.instant + stuckAfter } ?? instant
            if let lifts = state.drain(at: now)?.until { until = min(until, instant + .seconds(lifts.timeIntervalSince(now))) }
            return until
        }
    }

    private func changing<Result: Sendable>(_ change: (inout State) -> Result) -> Result {
        defer { changes.add(1, ordering: .releasing) }
        return state.withLock { change(&$0) }
    }

    /// Until the region has first been ready, samples take effect at once: there is no traffic for
    /// hysteresis to protect yet, and a failure from before the tables existed must not hold it back.
    public func record(_ sample: SignalSample, for signal: SignalID) {
        state.withLock { state in
            state.history.record(sample, for: signal)
            if !state.hasBeenReady {
                state.trackers[signal, default: SignalTracker(hysteresis: thresholds.hysteresis)].follow(sample)
            } else {
                state.trackers[signal, default: SignalTracker(hysteresis: thresholds.hysteresis)].record(sample)
            }
        }
    }

    /// Whether any signal waits for more samples to settle its state: the prober samples sooner then, so the
    /// hysteresis costs samples rather than whole intervals.
    public var inDoubt: Bool { state.withLock { $0.trackers.values.contains { $0.inDoubt } } }

    /// Evaluates the model after a round of samples and returns the nodes whose state changed.
    @discardableResult
    public func completeRound(now: Date = Date(), instant: ContinuousClock.Instant = .now) -> [(node: HealthReport.Node, from: HealthStatus?)] {
        evaluate(endingRound: true, now: now, instant: instant)
    }

    /// Evaluates the model on the samples recorded so far, in the middle of a round: a failure one sample
    /// proves is named as soon as its probe ends, not when the round's slowest probe does.
    @discardableResult
    public func evaluateNow(now: Date = Date(), instant: ContinuousClock.Instant = .now) -> [(node: HealthReport.Node, from: HealthStatus?)] {
        evaluate(endingRound: false, now: now, instant: instant)
    }

    private func evaluate(endingRound: Bool, now: Date, instant: ContinuousClock.Instant) -> [(node: HealthReport.Node, from: HealthStatus?)] {
        changing { state in
            if endingRound {
                state.roundsCompleted += 1
                if state.catchingUp != nil {
                    let first = state.firstRound ?? instant
                    state.firstRound = first
                    let behind = behind(state.trackers)
                    state.catchingUp = behind.isEmpty || instant - first >= Self.catchUpLimit ? nil : behind
                }
            }
            let report = HealthReport.evaluate(
                model: model,
                trackers: state.trackers,
                startupPending: Self.pending(state),
                previous: state.latest,
                staleAfter: staleAfter,
                stuckAfter: stuckAfter,
                now: now,
                instant: instant
            )
            defer { state.latest = report }
            if report.started && report.unhealthyFlows().isEmpty {
                state.hasBeenReady = true
            }
            let changes = report.changes(since: state.latest)
            for change in changes { state.history.record(change, at: now) }
            return changes
        }
    }

    private static func pending(_ state: State) -> [String] {
        var pending: [String] = []
        if !state.migrated { pending.append("migrations not applied yet") }
        if !state.catalogLoaded { pending.append("catalog not loaded yet") }
        if state.roundsCompleted == 0 { pending.append("first probe round not complete") }
        for peer in state.catchingUp ?? [] { pending.append("catching up with \(peer)'s changes") }
        return pending
    }

    /// A region that comes back must not take shoppers before it holds what its live peers wrote meanwhile:
    /// a cart opened elsewhere during its absence would be a 404 here. The peers it waits for are those that
    /// answer, with a subscription running, whose latest heartbeat applied here is older than `caughtUpLag`;
    /// a dead peer, or one it does not replicate from, holds nothing up.
    private func behind(_ trackers: [SignalID: SignalTracker]) -> [String] {
        model.peers.filter { peer in
            guard trackers[.peerLive(peer)]?.latest?.status == .healthy,
                trackers[.subscription(peer)]?.latest.map({ $0.status != .unhealthy }) == true
            else { return false }
            guard let lag = trackers[.replicationLag(peer)]?.latest?.value else { return true }
            return lag > caughtUpLag.milliseconds / 1000
        }
    }

    /// Every signal's samples and every node's state changes recorded after `since` (milliseconds since
    /// 1970), up to the history's `until`.
    public func history(after since: Int64?) -> (entries: HealthHistoryEntries, until: Int64, span: Duration) {
        state.withLock { state in (state.history.entries(after: since), state.history.until, state.history.span) }
    }

    /// About the memory the history holds, for the gauge that shows it stays within its bound.
    public var historyBytes: Int { state.withLock { $0.history.approximateBytes } }

    /// The latest evaluation, or nil before the first round.
    public var latest: HealthReport? { state.withLock { $0.latest } }

    // MARK: Drain

    /// Takes this instance alone out of rotation, for good: it is stopping.
    public func drainInstance(_ drain: Drain) { changing { $0.instanceDrain = drain } }

    /// What the region's database says of the region's drain, whichever instance it was sent to; an
    /// account older than the one held (a read that raced a change) is ignored.
    public func regionDrainChanged(_ drain: VersionedDrain) {
        let moved = state.withLock { state -> Bool in
            guard drain.version > state.regionDrain.version else { return false }
            defer { state.regionDrain = drain }
            return drain.drain != state.regionDrain.drain
        }
        if moved { changes.add(1, ordering: .releasing) }
    }

    /// The drain in force on this instance, if any: its own, or the region's; an expired one is none.
    public func activeDrain(at now: Date = Date()) -> Drain? {
        state.withLock { $0.drain(at: now) }
    }

    // MARK: Verdicts

    public struct Verdict: Sendable, Equatable {
        public var ok: Bool
        /// Why not, one entry per failing check, for people reading the probe.
        public var reasons: [String]
    }

    /// Started: migrations applied, catalog loaded, first probe round evaluated.
    public func startup() -> Verdict {
        let pending = state.withLock { Self.pending($0) }
        return Verdict(ok: pending.isEmpty, reasons: pending)
    }

    /// Ready for the flow's traffic, or for every flow's when `flow` is nil: started, not draining, a recent
    /// evaluation, and no flow it covers unhealthy. A degraded flow still takes traffic.
    public func readiness(for flow: Flow? = nil, now: Date = Date(), instant: ContinuousClock.Instant = .now) -> Verdict {
        let drain = activeDrain(at: now)
        let (pending, report) = state.withLock { (Self.pending($0), $0.latest) }
        var reasons = pending
        if let drain { reasons.append("draining: \(drain.reason)") }
        if let report {
            if instant - report.instant > stuckAfter {
                reasons.append("the latest health evaluation is stale: the prober is stuck")
            }
            for (flow, node) in report.unhealthyFlows(among: flow.map { [$0] } ?? Flow.allCases) {
                reasons.append("\(flow.rawValue) is unhealthy: \(node.reason ?? "")")
            }
        }
        return Verdict(ok: reasons.isEmpty, reasons: reasons)
    }
}
