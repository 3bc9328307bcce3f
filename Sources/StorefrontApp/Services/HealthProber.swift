import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import StorefrontCore
import StorefrontHealth
import StorefrontPostgres

/// Samples every signal of the health model once per interval, each with a deadline shorter than the
/// interval; then evaluates the model, logs what changed and updates the gauges.
///
/// The database signals come from a connection of the prober's own (`DatabaseProbe`), one after another;
/// the pool's lease wait from the pool; peers over HTTP. All three run at once, and every one ends by its
/// deadline: a deadline cancels the probe, and a cancelled query closes its connection.
struct HealthProber: Service {
    let monitor: HealthMonitor
    let postgres: PostgresClient
    let database: DatabaseProbe
    /// Where the region's instances share one round of the database probes: one probes, all use it.
    let session: RegionSession
    let rounds: HeardProbeRounds
    /// Names this instance in the rounds it announces.
    let instance: String
    let peers: [AppConfiguration.PeerAPI]
    let flows: FlowWindows
    let gauges: HealthGauges
    /// Signalled when the server closes an idle probe connection: a round runs then, not at the next tick.
    let wake: Wake
    let logger: Logger
    let activity = Activity()

    var thresholds: HealthThresholds { monitor.thresholds }
    var deadline: Duration { monitor.interval * 0.8 }

    /// Until graceful shutdown, which cancels the round in progress: nothing reads its outcome any more, and
    /// waiting for it could mean waiting out a connect timeout against a database that has gone.
    func run() async throws {
        let http = Self.peerClient(connectTimeout: deadline)
        await cancelWhenGracefulShutdown {
            var memory = Memory()
            var tick = ContinuousClock.now
            while !Task.isCancelled {
                await probeAndEvaluate(&memory, http)
                let ended = ContinuousClock.now
                // While a signal's state is in doubt, the samples that settle it come at twice the rate: a
                // fault is named, and a recovery seen, in half the time, after the same number of samples.
                tick = max(tick + (monitor.inDoubt ? monitor.interval / 2 : monitor.interval), ended)
                if await wake.wait(until: tick) {
                    // Woken: a round now, but never closer than a tenth of the interval to the last one.
                    try? await Task.sleep(until: ended + monitor.interval / 10, clock: .continuous)
                }
            }
        }
        activity.set("closing its database connections")
        await database.close()
        try? await http.shutdown()
    }

    /// The peers' probe client. A refused connection fails the probe at once: a client that retries failed
    /// connections with backoff (the shared one does, as it should for requests) turns a dead peer into one
    /// that does not answer within the deadline, which takes two samples to believe.
    static func peerClient(connectTimeout: Duration) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .milliseconds(Int64(connectTimeout.milliseconds))
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// What the prober carries from one round to the next.
    struct Memory {
        var applyErrors = ApplyErrorHistory()
        var outcomes = FlowOutcomes()
        /// How long each database probe and each peer has gone without an answer.
        var silence = Silence()
    }

    private func probeAndEvaluate(_ memory: inout Memory, _ http: HTTPClient) async {
        activity.set("probing")
        await round(&memory, http)
        // A cancelled round's samples say only that it was cancelled.
        guard !Task.isCancelled else { return }
        publish(monitor.completeRound())
        activity.set("waiting for the next round")
    }

    /// Logs the nodes that changed and updates the gauges.
    private func publish(_ changes: [(node: HealthReport.Node, from: HealthStatus?)]) {
        // At start every node appears; only the troubled ones are worth a line each.
        for (node, from) in changes where from != nil || node.status != .healthy {
            logger.log(
                level: from == nil ? .info : (node.status > from! ? .warning : .notice),
                "health state changed",
                metadata: [
                    "node": .string(node.id), "from": .string(from?.description ?? "none"), "to": .string(node.status.description),
                    "reason": .string(node.reason ?? "recovered"), "impacted_flows": .string(node.impactedFlows.joined(separator: ",")),
                ]
            )
        }
        if let report = monitor.latest { gauges.update(report, ready: monitor.readiness().ok, historyBytes: monitor.historyBytes) }
    }

    private func round(_ memory: inout Memory, _ http: HTTPClient) async {
        async let poolWait = timed { try await postgres.withOpenConnection { _ in } }
        async let reachability = peerReachability(http)

        let (read, write, replication, announcement) = await databaseRound()
        // Told to the region's other instances beside the rest of the round, within the probes' deadline.
        async let announced: Void = announce(announcement)
        guard !Task.isCancelled else { return }
        record(.databaseRead, read, what: "SELECT 1 took", threshold: thresholds.databaseReadMilliseconds, &memory.silence)
        record(.databaseWrite, write, what: "heartbeat upsert took", threshold: thresholds.databaseWriteMilliseconds, &memory.silence)
        let readFailed = (try? read.get()) == nil
        recordReplication(replication, databaseUnreachable: readFailed, &memory)
        // A refused connection needs no second sample, nor the pool's wait, which runs to its deadline while the
        // database is gone: named now, it is named up to 0.8 s sooner.
        if Self.isCertain(read) || Self.isCertain(write) {
            publish(monitor.evaluateNow())
        }
        let pool = await poolWait
        let peers = await reachability
        guard !Task.isCancelled else { return }
        // The pool's connections are to the same database: while it cannot be read, a slow or failed lease is
        // that failure showing again, and ends with it.
        recordPoolWait(pool, consequenceOf: readFailed ? .databaseRead : nil)
        for (peer, result) in peers { monitor.record(peerSample(peer, result, &memory.silence), for: .peerLive(peer)) }
        // The flows are judged against the database as this round found it, not as the last round did.
        publish(monitor.evaluateNow())
        recordFlows(&memory.outcomes)
        await announced
    }

    /// The database's read, write and replication state for this round, and the round to announce if this
    /// instance ran it. One instance of the region runs the probes, the holder of their lease
    /// (`RegionSessionService` takes it), and announces each round; the others use the round they heard, so
    /// the probes' load on the database does not grow with the instance count. An instance that has heard
    /// no round for three intervals (the holder died, stalled or lost its session) probes for itself
    /// meanwhile: its own view never waits on another instance's.
    private func databaseRound() async -> (
        read: Result<Double, any Error>, write: Result<Double, any Error>,
        replication: Result<(subscriptions: [ReplicationReport.Subscription], heartbeatAges: [String: Double]), any Error>,
        announcement: DatabaseProbeRound?
    ) {
        if !session.held.contains(.databaseProbes), let heard = rounds.latest(within: monitor.staleAfter) {
            gauges.countDatabaseRound(by: "another_instance")
            let replication = heard.replication.result.map { (subscriptions: $0.subscriptions, heartbeatAges: $0.heartbeatAges) }
            return (heard.read.result, heard.write.result, replication, nil)
        }
        let (read, write, replication) = await databaseProbes()
        gauges.countDatabaseRound(by: "this_instance")
        let round = DatabaseProbeRound(
            read: announced(read),
            write: announced(write),
            replication: announced(
                replication.map { DatabaseProbeRound.ReplicationState(subscriptions: $0.subscriptions, heartbeatAges: $0.heartbeatAges) }
            ),
            by: instance
        )
        return (read, write, replication, round)
    }

    /// On the prober's own connection, as a probe is: past the deadline it is cancelled, which closes only
    /// that connection.
    private func announce(_ round: DatabaseProbeRound?) async {
        guard let round else { return }
        do {
            try await withDeadline(deadline) { [database] in try await database.announce(round) }
        } catch {
            logger.debug("could not announce a round of the database probes", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    private func announced<Value>(_ result: Result<Value, any Error>) -> DatabaseProbeRound.Outcome<Value> {
        switch result {
        case .success(let value): .measured(value)
        case .failure(let error): .failed(.init(describe(error), certain: Self.isCertain(error), unanswered: Self.isUnanswered(error)))
        }
    }

    /// Read, write and replication state at once, each with its deadline, once the prober's connections are
    /// open; when they cannot be opened, all three fail with the reason.
    private func databaseProbes() async -> (
        read: Result<Double, any Error>, write: Result<Double, any Error>,
        replication: Result<(subscriptions: [ReplicationReport.Subscription], heartbeatAges: [String: Double]), any Error>
    ) {
        if case .failure(let error) = await outcome(of: { try await database.connect() }) {
            return (.failure(error), .failure(error), .failure(error))
        }
        async let read = timed { try await database.read() }
        async let write = timed { try await database.write() }
        async let replication = outcome { try await withDeadline(deadline) { try await database.replication() } }
        return (await read, await write, await replication)
    }

    /// How long `body` took in milliseconds, or why it failed, or that it did not end by the deadline.
    private func timed(_ body: @escaping @Sendable () async throws -> Void) async -> Result<Double, any Error> {
        await outcome {
            try await withDeadline(deadline) {
                let start = ContinuousClock.now
                try await body()
                return (ContinuousClock.now - start).milliseconds
            }
        }
    }

    /// A database probe's sample. One the database did not answer by its deadline is busy or gone
    /// (`Silence`): degraded until the silence lasts, so that saturated cores do not take the region out of
    /// rotation.
    private func record(_ signal: SignalID, _ result: Result<Double, any Error>, what: String, threshold: Threshold, _ silence: inout Silence) {
        if case .failure(let error) = result, Self.isUnanswered(error) {
            record(silence.unanswered(signal, describe(error)), for: signal)
        } else {
            if case .success = result { silence.answered(signal) }
            record(sample(of: result, what: what, threshold: threshold), for: signal)
        }
    }

    /// The pool's lease wait: it waits on this process's own connections, busy or not, so it has no silence.
    private func recordPoolWait(_ result: Result<Double, any Error>, consequenceOf cause: SignalID?) {
        var sample = sample(of: result, what: "leasing a connection took", threshold: thresholds.poolWaitMilliseconds)
        if sample.status > .healthy { sample.consequenceOf = cause }
        record(sample, for: .poolWait)
    }

    /// A timing as a sample against its threshold, or its failure, certain or not.
    private func sample(of result: Result<Double, any Error>, what: String, threshold: Threshold) -> SignalSample {
        switch result {
        case .success(let milliseconds): .measured(milliseconds, unit: "ms", against: threshold, what: what)
        case .failure(let error): .failed(unit: "ms", describe(error), certain: Self.isCertain(error))
        }
    }

    private func record(_ sample: SignalSample, for signal: SignalID) {
        monitor.record(sample, for: signal)
        gauges.observe(signal, sample)
    }

    /// Replication state is read from this region's own database: when `databaseUnreachable`, a failure to
    /// read it is the database's failure showing again, and the model names the database as its root.
    private func recordReplication(
        _ result: Result<(subscriptions: [ReplicationReport.Subscription], heartbeatAges: [String: Double]), any Error>,
        databaseUnreachable: Bool,
        _ memory: inout Memory
    ) {
        for peer in peers.map(\.region) {
            let lag: SignalSample
            let subscription: SignalSample
            switch result {
            case .failure(let error) where Self.isUnanswered(error):
                let output = "replication state unread: \(describe(error))"
                let cause: SignalID? = databaseUnreachable ? .databaseRead : nil
                lag = memory.silence.unanswered(.replicationLag(peer.name), output, unit: "s", consequenceOf: cause)
                subscription = memory.silence.unanswered(.subscription(peer.name), output, unit: "errors", consequenceOf: cause)
            case .failure(let error):
                let output = "replication state unreadable: \(describe(error))"
                let cause: SignalID? = databaseUnreachable ? .databaseRead : nil
                lag = .failed(unit: "s", output, certain: Self.isCertain(error), consequenceOf: cause)
                subscription = .failed(unit: "errors", output, certain: Self.isCertain(error), consequenceOf: cause)
            case .success((let subscriptions, let heartbeatAges)):
                memory.silence.answered(.replicationLag(peer.name))
                memory.silence.answered(.subscription(peer.name))
                let age = heartbeatAges[peer.name]
                subscription = memory.applyErrors.sample(
                    for: peer.name,
                    subscriptions.first { $0.name == ReplicationTopology.subscriptionName(from: peer) }.map {
                        (enabled: $0.enabled, workerRunning: $0.workerRunning, applyErrors: $0.applyErrors)
                    },
                    caughtUp: age.map { $0 < monitor.caughtUpLag.seconds } ?? false
                )
                // A subscription that is off or has no worker receives nothing: the lag that grows meanwhile is
                // its consequence, not a second cause.
                let cause: SignalID? = subscription.status == .unhealthy ? .subscription(peer.name) : nil
                if let age {
                    var measured = SignalSample.measured(
                        age,
                        unit: "s",
                        against: thresholds.replicationLagSeconds,
                        what: "\(peer)'s latest replicated heartbeat is"
                    )
                    if measured.status > .healthy { measured.consequenceOf = cause }
                    lag = measured
                } else {
                    lag = .failed(unit: "s", "no heartbeat from \(peer) has arrived yet", consequenceOf: cause)
                }
            }
            record(lag, for: .replicationLag(peer.name))
            record(subscription, for: .subscription(peer.name))
        }
    }

    /// Each peer's `/health/live`: its status code and how long it took, or why there was no answer.
    private func peerReachability(_ http: HTTPClient) async -> [(String, Result<(UInt, Double), any Error>)] {
        await withTaskGroup(of: (String, Result<(UInt, Double), any Error>).self) { group in
            for peer in peers {
                group.addTask {
                    let result = await outcome {
                        try await withDeadline(deadline) {
                            let start = ContinuousClock.now
                            var request = HTTPClientRequest(url: peer.url + "/health/live")
                            request.headers.add(name: "User-Agent", value: "storefront-prober")
                            let timeout = TimeAmount.milliseconds(Int64(deadline.milliseconds))
                            let response: HTTPClientResponse
                            do {
                                response = try await http.execute(request, timeout: timeout)
                            } catch let error as HTTPClientError where error == .remoteConnectionClosed {
                                // The kept-alive connection died with the peer's process: ask once more on a new
                                // one, which says at once whether anything listens there now.
                                response = try await http.execute(request, timeout: timeout)
                            }
                            return (response.status.code, (ContinuousClock.now - start).milliseconds)
                        }
                    }
                    return (peer.region.name, result)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// A slow answer is a busy peer and degrades at most; no answer is down only once the silence has lasted
    /// (`Silence`), a refusal at once.
    private func peerSample(_ peer: String, _ result: Result<(UInt, Double), any Error>, _ silence: inout Silence) -> SignalSample {
        let signal = SignalID.peerLive(peer)
        switch result {
        case .success((200, let milliseconds)):
            silence.answered(signal)
            return .measured(milliseconds, unit: "ms", against: thresholds.peerMilliseconds, what: "/health/live answered in")
        case .success((let status, _)):
            silence.answered(signal)
            return .failed(unit: "ms", "/health/live answered \(status)")
        case .failure(let error) where Self.isCertain(error):
            return silence.refused(signal, describe(error))
        case .failure(let error):
            return silence.unanswered(signal, describe(error))
        }
    }

    private func recordFlows(_ outcomes: inout FlowOutcomes) {
        let now = Date().timeIntervalSince1970
        let epoch = Int64(now.rounded(.down))
        outcomes.observe(monitor.latest, at: epoch)
        for flow in Flow.allCases {
            // The outage explains its failures and its waits, not what a request still waits after it.
            let summary = flows.summary(flow, at: now, after: outcomes.judgedAfter)
            let recovered = outcomes.judgedAfter.map { epoch - $0 }.flatMap { $0 < flows.seconds ? $0 : nil }
            let (errors, p99) = summary.samples(
                windowSeconds: flows.seconds,
                recoveredSecondsAgo: recovered,
                thresholds: thresholds,
                cause: outcomes.cause
            )
            monitor.record(errors, for: .errorRatio(flow))
            monitor.record(p99, for: .p99(flow))
        }
    }

    /// Whether one failed sample proves the failure (`PSQLError.isCertain`, or nothing listening at a peer).
    static func isCertain(_ error: any Error) -> Bool {
        if let heard = error as? DatabaseProbeRound.Failure { return heard.certain }
        return (error as? PSQLError)?.isCertain ?? isRefused(error)
    }

    /// The database gave no answer by the deadline: the probe's own, or the connect timeout's.
    static func isUnanswered(_ error: any Error) -> Bool {
        if let heard = error as? DatabaseProbeRound.Failure { return heard.unanswered }
        return error is DeadlineExceeded || (error as? PSQLError)?.connectTimedOut == true
    }

    /// Nothing listened at the address.
    static func isRefused(_ error: any Error) -> Bool { (error as? IOError)?.errnoCode == ECONNREFUSED }

    static func isCertain<Value>(_ result: Result<Value, any Error>) -> Bool {
        if case .failure(let error) = result { return isCertain(error) }
        return false
    }

    /// What a failed probe shows in the health model, which anyone may read: the kind of failure, never an
    /// error's message or an address. The whole error goes to the log, for operators.
    private func describe(_ error: any Error) -> String {
        // Described already, by the instance that ran the probe and logged it.
        if let heard = error as? DatabaseProbeRound.Failure { return heard.description }
        let (shown, logged): (String, String) =
            switch error {
            case let error as PSQLError: (error.publicSummary, error.operatorSummary)
            case let error as DeadlineExceeded: (error.description, error.description)
            case let error as HTTPClientError: ("\(error)", "\(error)")
            case _ where Self.isRefused(error): ("connection refused", String(describing: error))
            default: ("\(type(of: error))", String(describing: error))
            }
        logger.info("probe failed", metadata: ["shown": .string(shown), "error": .string(logged)])
        return shown
    }
}

/// What `body` returned or threw.
private func outcome<Value>(of body: () async throws -> Value) async -> Result<Value, any Error> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}
