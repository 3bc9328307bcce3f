import Foundation
import StorefrontCore
import StorefrontHealth
import Testing

/// The model evaluated from scripted samples: the cascade, the caps on remote parts, staleness and drains.
@Suite struct HealthModelTests {
    let model = HealthModel(region: "eu-west", catalogHome: "us-east", peers: ["us-east", "ap-southeast"])

    func monitor(hysteresis: Hysteresis = Hysteresis(toWorse: 1, toBetter: 1)) -> HealthMonitor {
        var thresholds = HealthThresholds()
        thresholds.hysteresis = hysteresis
        let monitor = HealthMonitor(model: model, thresholds: thresholds, interval: .seconds(1))
        monitor.markMigrated()
        monitor.markCatalogLoaded()
        return monitor
    }

    func healthy(_ signal: SignalID) -> SignalSample {
        SignalSample(value: 1, unit: "ms", status: .healthy, output: "fine")
    }

    /// Records one round in which every signal is healthy except the given ones.
    func round(_ monitor: HealthMonitor, _ overrides: [SignalID: SignalSample] = [:], instant: ContinuousClock.Instant = .now) {
        for signal in model.signals { monitor.record(overrides[signal] ?? healthy(signal), for: signal) }
        monitor.completeRound(instant: instant)
    }

    /// The probes keep their answer until the version moves or the answer's own deadline passes: every change
    /// readiness reads moves the version, and the deadline is the evaluation going stale or a drain lifting.
    @Test func everyChangeReadinessReadsMovesTheVersion() {
        let monitor = monitor()
        let start = ContinuousClock.now
        var version = monitor.version
        func moved() -> Bool {
            defer { version = monitor.version }
            return monitor.version > version
        }
        round(monitor, instant: start)
        #expect(moved())
        #expect(monitor.readinessHolds(instant: start) == start + monitor.stuckAfter)
        #expect(monitor.readiness(instant: start).ok)
        #expect(!moved())
        let now = Date()
        monitor.regionDrainChanged(VersionedDrain(drain: Drain(reason: "upgrade", requestedBy: "alice", since: now, until: now + 1), version: 1))
        #expect(moved())
        // An expiry moves no version: the verdict says itself when it stops holding.
        let lifts = monitor.readinessHolds(now: now, instant: start)
        #expect(lifts > start && lifts <= start + .seconds(1))
        #expect(monitor.activeDrain(at: now + 2) == nil)
        monitor.regionDrainChanged(VersionedDrain(drain: Drain(reason: "again", requestedBy: "alice"), version: 2))
        monitor.regionDrainChanged(VersionedDrain(drain: nil, version: 3))
        #expect(monitor.version == version + 2)
        let before = monitor.version
        monitor.regionDrainChanged(VersionedDrain(drain: nil, version: 3))
        #expect(monitor.version == before, "the same drain heard again changes nothing")
        monitor.regionDrainChanged(VersionedDrain(drain: Drain(reason: "again", requestedBy: "alice"), version: 2))
        #expect(monitor.version == before, "an older account, read while the drain changed, is ignored")
        #expect(monitor.activeDrain() == nil)
    }

    @Test func everyHealthySignalMakesAReadyHealthyRegion() throws {
        let monitor = monitor()
        #expect(!monitor.startup().ok)
        round(monitor)
        #expect(monitor.startup().ok)
        #expect(monitor.readiness().ok)
        let report = try #require(monitor.latest)
        #expect(report.nodes.allSatisfy { $0.status == .healthy && $0.reason == nil && $0.impactedFlows.isEmpty })
    }

    @Test func aDeadDatabaseFailsEveryFlowAndNamesItselfAsTheRootCause() throws {
        let monitor = monitor()
        let refused = SignalSample.failed(unit: "ms", "connection refused")
        round(monitor, [.databaseRead: refused, .databaseWrite: refused, .poolWait: refused])
        let report = try #require(monitor.latest)
        let database = try #require(report[HealthReport.componentID(.database)])
        #expect(database.status == .unhealthy)
        #expect(database.rootSignals == ["database.pool_wait", "database.read_latency", "database.write_latency"])
        #expect(database.reason?.contains("connection refused") == true)
        #expect(Set(database.impactedFlows) == Set(Flow.allCases.map(\.rawValue)))
        let read = try #require(report[HealthReport.signalID(.databaseRead)])
        #expect(Set(read.impactedFlows) == Set(Flow.allCases.map(\.rawValue)))
        #expect(report[HealthReport.regionID]?.status == .unhealthy)
        let verdict = monitor.readiness()
        #expect(!verdict.ok)
        #expect(verdict.reasons.contains { $0.contains("checkout is unhealthy") && $0.contains("connection refused") })
    }

    /// Replication state read from a database that cannot be reached is the database's failure showing
    /// again: the database is the root cause of every node, replication's included, and the replication
    /// signals say why they failed.
    @Test func whatCouldNotBeMeasuredBecauseTheDatabaseIsDownIsItsConsequence() throws {
        let monitor = monitor()
        let refused = SignalSample.failed(unit: "ms", "could not connect (refused)", certain: true)
        let unreadable = SignalSample.failed(
            unit: "s",
            "replication state unreadable: could not connect (refused)",
            certain: true,
            consequenceOf: .databaseRead
        )
        var samples: [SignalID: SignalSample] = [.databaseRead: refused, .databaseWrite: refused, .poolWait: refused]
        for peer in model.peers {
            samples[.replicationLag(peer)] = unreadable
            samples[.subscription(peer)] = unreadable
        }
        round(monitor, samples)
        let report = try #require(monitor.latest)
        let databaseRoots = ["database.pool_wait", "database.read_latency", "database.write_latency"]
        #expect(report[HealthReport.regionID]?.rootSignals == databaseRoots)
        #expect(report[HealthReport.regionID]?.reason?.contains("replication") == false)
        for flow in Flow.allCases {
            #expect(report[HealthReport.flowID(flow)]?.rootSignals.allSatisfy { $0.hasPrefix("database.") } == true, "\(flow)")
        }
        let replication = try #require(report[HealthReport.componentID(.replication)])
        #expect(replication.status == .degraded)
        #expect(replication.rootSignals == ["database.read_latency"])
        let lag = try #require(report[HealthReport.signalID(.replicationLag("us-east"))])
        #expect(lag.status == .unhealthy)
        #expect(lag.rootSignals == ["database.read_latency"])
        #expect(lag.reason?.hasSuffix("(because database.read_latency is unhealthy)") == true, "\(lag.reason ?? "")")
    }

    /// A consequence whose cause is healthy again is a cause of its own.
    @Test func aConsequenceWhoseCauseIsHealthyIsItsOwnRoot() throws {
        let monitor = monitor()
        let unreadable = SignalSample.failed(unit: "s", "replication state unreadable: server error 42501", consequenceOf: .databaseRead)
        round(monitor, [.replicationLag("us-east"): unreadable])
        let report = try #require(monitor.latest)
        #expect(report[HealthReport.signalID(.replicationLag("us-east"))]?.rootSignals == ["replication.us-east.lag"])
        #expect(report[HealthReport.regionID]?.rootSignals == ["replication.us-east.lag"])
    }

    /// Saturation is not failure: a pool so busy that no connection came within the probe's deadline, and a
    /// database answering in two seconds, make the region degraded and leave it ready.
    @Test func aSaturatedPoolAndASlowDatabaseDegradeButNeverFail() throws {
        let monitor = monitor()
        let slow = SignalSample.measured(2000, unit: "ms", against: HealthThresholds().databaseReadMilliseconds, what: "SELECT 1 took")
        round(monitor, [.poolWait: .failed(unit: "ms", "no answer within 800 ms"), .databaseRead: slow])
        round(monitor, [.poolWait: .failed(unit: "ms", "no answer within 800 ms"), .databaseRead: slow])
        let report = try #require(monitor.latest)
        #expect(report[HealthReport.componentID(.database)]?.status == .degraded)
        #expect(report[HealthReport.flowID(.checkout)]?.status == .degraded)
        #expect(monitor.readiness().ok)
    }

    /// A region that comes back holds no shopper until it has applied what its live peers wrote meanwhile;
    /// a dead peer holds nothing up.
    @Test func aReturningRegionStartsOnlyOnceCaughtUpWithItsLivePeers() throws {
        let monitor = monitor()
        let behind = SignalSample.measured(30, unit: "s", against: HealthThresholds().replicationLagSeconds, what: "heartbeat")
        let dead = SignalSample.failed(unit: "ms", "connection refused")
        round(monitor, [.replicationLag("us-east"): behind, .peerLive("ap-southeast"): dead, .replicationLag("ap-southeast"): behind])
        #expect(!monitor.startup().ok)
        #expect(monitor.startup().reasons == ["catching up with us-east's changes"])
        #expect(!monitor.readiness(for: .cart).ok)
        round(monitor, [.peerLive("ap-southeast"): dead, .replicationLag("ap-southeast"): behind])
        #expect(monitor.startup().ok)
        #expect(monitor.readiness(for: .browse).ok)
        // Caught up once is enough: a peer that falls behind later is the lag signal's business.
        round(monitor, [.replicationLag("us-east"): behind])
        #expect(monitor.startup().ok)
    }

    @Test func aPeerThatNeverCatchesUpHoldsStartUpForAMinuteAtMost() throws {
        let monitor = monitor()
        let behind = SignalSample.measured(30, unit: "s", against: HealthThresholds().replicationLagSeconds, what: "heartbeat")
        let start = ContinuousClock.now
        round(monitor, [.replicationLag("us-east"): behind], instant: start)
        round(monitor, [.replicationLag("us-east"): behind], instant: start + .seconds(59))
        #expect(!monitor.startup().ok)
        round(monitor, [.replicationLag("us-east"): behind], instant: start + HealthMonitor.catchUpLimit)
        #expect(monitor.startup().ok)
    }

    /// Browsing only reads; a database that can no longer write fails the flows that write, not browsing.
    @Test func aDatabaseThatCannotWriteFailsCheckoutButNotBrowsing() throws {
        let monitor = monitor()
        round(monitor, [.databaseWrite: .failed(unit: "ms", "server error 25006: read-only transaction")])
        let report = try #require(monitor.latest)
        #expect(report[HealthReport.flowID(.browse)]?.status == .healthy)
        #expect(report[HealthReport.flowID(.orderHistory)]?.status == .healthy)
        #expect(report[HealthReport.flowID(.checkout)]?.status == .unhealthy)
        #expect(report[HealthReport.flowID(.cart)]?.status == .unhealthy)
        #expect(report[HealthReport.signalID(.databaseWrite)]?.impactedFlows == ["cart", "checkout"])
        #expect(monitor.readiness(for: .browse).ok)
        #expect(!monitor.readiness(for: .checkout).ok)
        #expect(!monitor.readiness().ok)
    }

    /// One region's failure must never take down the others: a dead peer degrades, it never fails.
    @Test func aDeadPeerDegradesReplicationAndItsFlowsButTheRegionStaysReady() throws {
        let monitor = monitor()
        let dead = SignalSample.failed(unit: "ms", "unreachable: connection refused")
        round(
            monitor,
            [
                .peerLive("us-east"): dead,
                .replicationLag("us-east"): .failed(unit: "s", "heartbeat 42 s old"),
                .subscription("us-east"): .failed(unit: "errors", "no apply worker is receiving us-east's changes"),
            ]
        )
        let report = try #require(monitor.latest)
        #expect(report[HealthReport.signalID(.peerLive("us-east"))]?.status == .unhealthy)
        #expect(report[HealthReport.componentID(.peers)]?.status == .degraded)
        #expect(report[HealthReport.componentID(.replication)]?.status == .degraded)
        #expect(report[HealthReport.componentID(.database)]?.status == .healthy)
        for flow in Flow.allCases {
            #expect(report[HealthReport.flowID(flow)]?.status == .degraded, "\(flow)")
        }
        #expect(report[HealthReport.regionID]?.status == .degraded)
        #expect(Set(report[HealthReport.componentID(.replication)]!.impactedFlows) == Set(Flow.allCases.map(\.rawValue)))
        // No flow depends on reaching a peer's API: it degrades the region, and reaches no flow.
        #expect(report[HealthReport.signalID(.peerLive("us-east"))]?.impactedFlows == [])
        #expect(monitor.readiness().ok)
        for flow in Flow.allCases { #expect(monitor.readiness(for: flow).ok) }
    }

    /// Browsing needs the catalog home only; a region that is not the home does not browse through others.
    @Test func browsingDependsOnlyOnTheCatalogHomesReplication() throws {
        let monitor = monitor()
        round(monitor, [.replicationLag("ap-southeast"): .failed(unit: "s", "no heartbeat")])
        let report = try #require(monitor.latest)
        #expect(report[HealthReport.flowID(.browse)]?.status == .healthy)
        #expect(report[HealthReport.flowID(.checkout)]?.status == .degraded)
        let home = HealthModel(region: "us-east", catalogHome: "us-east", peers: ["eu-west"])
        #expect(home.dependencies[.browse]?.contains { $0.component == .replication } == false)
    }

    @Test func aSlowFlowDegradesOnlyThatFlow() throws {
        let monitor = monitor()
        round(monitor, [.p99(.checkout): .measured(5000, unit: "ms", against: HealthThresholds().p99Milliseconds, what: "p99")])
        let report = try #require(monitor.latest)
        #expect(report[HealthReport.flowID(.checkout)]?.status == .degraded)
        #expect(report[HealthReport.flowID(.browse)]?.status == .healthy)
        #expect(report[HealthReport.componentID(.api)]?.status == .degraded)
        #expect(monitor.readiness().ok)
    }

    /// A sample three intervals old is late: the prober is behind, as on saturated cores, and the signal
    /// degraded; three seconds later still, the prober is taken for stuck and the signal fails.
    @Test func aLateSampleDegradesItsSignalAndOnlyAStuckOneFailsIt() throws {
        let monitor = monitor()
        let start = ContinuousClock.now
        round(monitor, instant: start)
        // The prober hangs on the database read: no new sample, while other signals keep arriving.
        func read(at seconds: Double) throws -> HealthReport.Node {
            for signal in model.signals where signal != .databaseRead { monitor.record(healthy(signal), for: signal) }
            monitor.completeRound(instant: start + .seconds(seconds))
            return try #require(monitor.latest?[HealthReport.signalID(.databaseRead)])
        }
        #expect(try read(at: 2).status == .healthy)
        let late = try read(at: 4)
        #expect(late.status == .degraded)
        #expect(late.reason?.contains("behind") == true, "\(late.reason ?? "")")
        #expect(monitor.readiness(instant: start + .seconds(4)).ok, "a late prober is busy, not down")
        let stuck = try read(at: 6.5)
        #expect(stuck.status == .unhealthy)
        #expect(stuck.reason?.contains("stuck") == true)
        #expect(!monitor.readiness(instant: start + .seconds(6.5)).ok)
    }

    @Test func anEvaluationStuckForLongIsNotReady() {
        let monitor = monitor()
        let start = ContinuousClock.now
        round(monitor, instant: start)
        #expect(monitor.readiness(instant: start + .seconds(4)).ok, "three intervals late: busy")
        let verdict = monitor.readiness(instant: start + .seconds(6.5))
        #expect(!verdict.ok)
        #expect(verdict.reasons.contains { $0.contains("stale") })
    }

    /// Alternating good and bad database samples, with the default hysteresis: readiness never moves.
    @Test func aFlappingSignalDoesNotFlapReadiness() {
        let monitor = monitor(hysteresis: HealthThresholds().hysteresis)
        round(monitor)
        var answers: Set<Bool> = []
        for index in 0..<60 {
            let bad = index.isMultiple(of: 2)
            round(monitor, bad ? [.databaseRead: .failed(unit: "ms", "timeout")] : [:])
            answers.insert(monitor.readiness().ok)
        }
        #expect(answers == [true])
        // While a steady failure does take the region out, after the configured number of samples.
        round(monitor, [.databaseRead: .failed(unit: "ms", "timeout")])
        #expect(monitor.readiness().ok)
        round(monitor, [.databaseRead: .failed(unit: "ms", "timeout")])
        #expect(!monitor.readiness().ok)
    }

    @Test func stateChangesAreReportedOnceWithTheirReason() throws {
        let monitor = monitor()
        round(monitor)
        let down = SignalSample.failed(unit: "ms", "connection refused")
        for signal in model.signals { monitor.record(signal == .databaseRead ? down : healthy(signal), for: signal) }
        let changes = monitor.completeRound()
        let ids = Set(changes.map(\.node.id))
        #expect(ids.contains("signal:database.read_latency"))
        #expect(ids.contains("component:database"))
        #expect(ids.contains("flow:checkout"))
        #expect(!ids.contains("component:replication"))
        #expect(changes.allSatisfy { $0.from == .healthy && $0.node.status == .unhealthy })
        round(monitor, [.databaseRead: down])
        let since = try #require(monitor.latest?[HealthReport.componentID(.database)]?.since)
        round(monitor, [.databaseRead: down])
        #expect(monitor.latest?[HealthReport.componentID(.database)]?.since == since)
    }

    @Test func aDrainTakesTheRegionOutAtOnceAndLiftsWhenItExpires() {
        let monitor = monitor()
        round(monitor)
        let now = Date()
        let drain = Drain(reason: "database upgrade", requestedBy: "alice", since: now, until: now.addingTimeInterval(60))
        monitor.regionDrainChanged(VersionedDrain(drain: drain, version: 1))
        let verdict = monitor.readiness(now: now)
        #expect(!verdict.ok)
        #expect(verdict.reasons == ["draining: database upgrade"])
        #expect(!monitor.readiness(for: .browse, now: now).ok)
        #expect(monitor.readiness(now: now.addingTimeInterval(61)).ok)
        #expect(monitor.activeDrain(at: now.addingTimeInterval(61)) == nil)
        monitor.regionDrainChanged(VersionedDrain(drain: Drain(reason: "by hand", requestedBy: "bob"), version: 2))
        #expect(!monitor.readiness().ok)
        monitor.regionDrainChanged(VersionedDrain(drain: nil, version: 3))
        #expect(monitor.readiness().ok)
    }

    /// A stopping instance stays out whatever the region's drain does: an operator's undrain must not send
    /// shoppers to an instance that is shutting down.
    @Test func aStoppingInstanceStaysOutWhenTheRegionIsUndrained() {
        let monitor = monitor()
        round(monitor)
        monitor.regionDrainChanged(VersionedDrain(drain: Drain(reason: "maintenance", requestedBy: "alice"), version: 1))
        monitor.drainInstance(Drain(reason: "shutting down", requestedBy: "SIGTERM"))
        monitor.regionDrainChanged(VersionedDrain(drain: nil, version: 2))
        #expect(monitor.readiness().reasons == ["draining: shutting down"])
    }
}

@Suite struct StartingRegionTests {
    /// Before its tables exist the heartbeat fails; until the region is first ready every sample counts at
    /// once, and from then on hysteresis applies.
    @Test func whileStartingSamplesTakeEffectAtOnce() {
        let model = HealthModel(region: "us-east", catalogHome: "us-east", peers: [])
        let monitor = HealthMonitor(model: model, thresholds: HealthThresholds(), interval: .seconds(1))
        let good = SignalSample(value: 1, unit: "ms", status: .healthy, output: "fine")
        let missing = SignalSample.failed(unit: "ms", "server error 42P01: relation \"heartbeats\" does not exist")
        for signal in model.signals { monitor.record(signal == .databaseWrite ? missing : good, for: signal) }
        monitor.completeRound()
        monitor.markMigrated()
        monitor.markCatalogLoaded()
        #expect(!monitor.readiness().ok)
        for signal in model.signals { monitor.record(good, for: signal) }
        monitor.completeRound()
        #expect(monitor.readiness().ok)
        for signal in model.signals { monitor.record(signal == .databaseWrite ? missing : good, for: signal) }
        monitor.completeRound()
        #expect(monitor.readiness().ok)
        for signal in model.signals { monitor.record(signal == .databaseWrite ? missing : good, for: signal) }
        monitor.completeRound()
        #expect(!monitor.readiness().ok)
    }
}
