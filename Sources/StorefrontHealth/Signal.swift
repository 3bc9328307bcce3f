import Foundation

/// The parts of a region the model groups its signals into.
public enum Component: String, Sendable, CaseIterable, Comparable {
    case database, replication, peers, api

    public static func < (lhs: Self, rhs: Self) -> Bool { allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)! }

    /// Remote parts can make this region degraded, never unhealthy: one region's failure must never take
    /// down the others. The API's own error ratios are outcomes, not causes: an unready region gets no
    /// traffic, so letting them gate readiness would keep a recovered region out of rotation.
    public var ceiling: HealthStatus {
        switch self {
        case .database: .unhealthy
        case .replication, .peers, .api: .degraded
        }
    }
}

/// One live measurement: a component, what is measured, and the peer or flow it is about.
public struct SignalID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var component: Component
    public var measurement: String
    public var subject: String?

    public init(_ component: Component, _ measurement: String, subject: String? = nil) {
        self.component = component
        self.measurement = measurement
        self.subject = subject
    }

    public var description: String { [component.rawValue, subject, measurement].compactMap(\.self).joined(separator: ".") }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.component, lhs.subject ?? "", lhs.measurement) < (rhs.component, rhs.subject ?? "", rhs.measurement)
    }

    /// The worst this signal can make what depends on it: its component's ceiling, and for the pool's wait,
    /// degraded — a saturated pool is busy, not broken.
    public var ceiling: HealthStatus { self == .poolWait ? .degraded : component.ceiling }

    public static let databaseRead = SignalID(.database, "read_latency")
    public static let databaseWrite = SignalID(.database, "write_latency")
    public static let poolWait = SignalID(.database, "pool_wait")
    public static func replicationLag(_ peer: String) -> Self { .init(.replication, "lag", subject: peer) }
    public static func subscription(_ peer: String) -> Self { .init(.replication, "subscription", subject: peer) }
    public static func peerLive(_ peer: String) -> Self { .init(.peers, "live", subject: peer) }
    public static func errorRatio(_ flow: Flow) -> Self { .init(.api, "error_ratio", subject: flow.rawValue) }
    public static func p99(_ flow: Flow) -> Self { .init(.api, "p99_latency", subject: flow.rawValue) }
}

/// One sample of a signal: what was observed and how bad it is on its own, before hysteresis.
public struct SignalSample: Sendable {
    public var value: Double?
    public var unit: String
    public var status: HealthStatus
    /// What a person needs to know, such as "SELECT 1 took 312 ms (degraded from 100 ms)".
    public var output: String
    public var time: Date
    public var instant: ContinuousClock.Instant
    /// A failure that cannot be a fluke (nothing listens, the password is refused, a table is missing): the
    /// signal takes it at once, where a slow or timed-out answer waits for the hysteresis.
    public var certain: Bool
    /// The signal whose failure kept this one from being measured (replication state cannot be read while
    /// the database cannot be reached): while that one is not healthy, it is this one's root cause.
    public var consequenceOf: SignalID?

    public init(
        value: Double?,
        unit: String,
        status: HealthStatus,
        output: String,
        time: Date = Date(),
        instant: ContinuousClock.Instant = .now,
        certain: Bool = false,
        consequenceOf: SignalID? = nil
    ) {
        self.value = value
        self.unit = unit
        self.status = status
        self.output = output
        self.time = time
        self.instant = instant
        self.certain = certain
        self.consequenceOf = consequenceOf
    }

    /// A measurement against its threshold.
    public static func measured(_ value: Double, unit: String, against threshold: Threshold, what: String) -> Self {
        let status = threshold.classify(value)
        let shown = value.formatted(.number.precision(.fractionLength(0...2)))
        let output =
            switch status {
            case .healthy: "\(what) \(shown) \(unit)"
            case .degraded: "\(what) \(shown) \(unit), degraded from \(threshold.degraded.formatted()) \(unit)"
            case .unhealthy: "\(what) \(shown) \(unit), unhealthy from \(threshold.unhealthy.formatted()) \(unit)"
            }
        return SignalSample(value: value, unit: unit, status: status, output: output)
    }

    /// A probe that got no measurement at all.
    public static func failed(unit: String, _ output: String, certain: Bool = false, consequenceOf: SignalID? = nil) -> Self {
        SignalSample(value: nil, unit: unit, status: .unhealthy, output: output, certain: certain, consequenceOf: consequenceOf)
    }
}

/// A signal's state under hysteresis: it changes only after enough consecutive samples agree.
public struct SignalTracker: Sendable {
    public private(set) var status: HealthStatus?
    public private(set) var since: Date?
    public private(set) var latest: SignalSample?
    /// The sample that moved the signal into its current state.
    public private(set) var cause: SignalSample?
    private var worse: [HealthStatus] = []
    private var better: [HealthStatus] = []
    let hysteresis: Hysteresis

    public init(hysteresis: Hysteresis) {
        self.hysteresis = hysteresis
    }

    public mutating func record(_ sample: SignalSample) {
        guard let current = status else {
            // The first sample is all there is to go on.
            return follow(sample)
        }
        latest = sample
        if sample.status > current, sample.certain {
            change(to: sample.status, by: sample)
        } else if sample.status < current, cause?.certain == true || cause?.consequenceOf != nil {
            // What one sample proved, one sample disproves: the database that refused now answers. And what
            // another signal's failure explained ends with it: the replication state is readable again.
            change(to: sample.status, by: sample)
        } else if sample.status > current {
            better.removeAll()
            worse.append(sample.status)
            // Move only as far as every sample in the streak agrees.
            if worse.count >= hysteresis.toWorse { change(to: worse.suffix(hysteresis.toWorse).min()!, by: sample) }
        } else if sample.status < current {
            worse.removeAll()
            better.append(sample.status)
            if better.count >= hysteresis.toBetter { change(to: better.suffix(hysteresis.toBetter).max()!, by: sample) }
        } else {
            worse.removeAll()
            better.removeAll()
        }
    }

    /// Whether samples have begun to disagree with the state, and more are needed to settle it.
    public var inDoubt: Bool { !worse.isEmpty || !better.isEmpty }

    /// Takes the sample's state at once, without waiting for others to agree.
    public mutating func follow(_ sample: SignalSample) {
        latest = sample
        if status != sample.status {
            status = sample.status
            since = sample.time
        }
        cause = sample
        worse.removeAll()
        better.removeAll()
    }

    /// Why the signal is in its state, in words: the sample that put it there, and, while the latest sample
    /// disagrees, that it is waiting for enough samples to agree.
    public var explanation: String? {
        guard let latest, let status else { return nil }
        guard latest.status != status, let cause else { return latest.output }
        let direction = latest.status < status ? "recovering" : "worsening"
        return "\(cause.output) (\(direction): latest sample \(latest.status), \(latest.output))"
    }

    private mutating func change(to status: HealthStatus, by sample: SignalSample) {
        self.status = status
        since = sample.time
        cause = sample
        worse.removeAll()
        better.removeAll()
    }
}
