import Foundation

/// Where a measurement, for which more is worse, turns degraded and then unhealthy. An unhealthy bound of
/// infinity means the measurement alone never fails the signal: only a probe that got no answer does.
public struct Threshold: Sendable, Equatable {
    public var degraded: Double
    public var unhealthy: Double

    public init(degraded: Double, unhealthy: Double) {
        precondition(degraded <= unhealthy, "a threshold degrades before it fails")
        self.degraded = degraded
        self.unhealthy = unhealthy
    }

    public func classify(_ value: Double) -> HealthStatus {
        if value >= unhealthy { return .unhealthy }
        if value >= degraded { return .degraded }
        return .healthy
    }
}

/// How many consecutive samples it takes to change state: a single bad sample must not take a region out
/// of rotation, and a single good one must not put a broken region back.
public struct Hysteresis: Sendable, Equatable {
    /// Samples worse than the current state needed to get worse.
    public var toWorse: Int
    /// Samples better than the current state needed to get better.
    public var toBetter: Int

    public init(toWorse: Int, toBetter: Int) {
        precondition(toWorse >= 1 && toBetter >= 1)
        self.toWorse = toWorse
        self.toBetter = toBetter
    }
}

/// Every threshold of the health model. Defaults suit a region whose database is on the same network.
public struct HealthThresholds: Sendable, Equatable {
    /// Saturation is not failure: a database that answers slowly is busy, so its latencies degrade and never
    /// fail by themselves; it fails when it does not answer within the probe's deadline, or errors.
    public var databaseReadMilliseconds = Threshold(degraded: 100, unhealthy: .infinity)
    public var databaseWriteMilliseconds = Threshold(degraded: 200, unhealthy: .infinity)
    /// Time to lease a connection from the pool: the wait every request pays when the pool is saturated. It
    /// degrades and, being saturation alone, never fails (its signal's ceiling is degraded).
    public var poolWaitMilliseconds = Threshold(degraded: 50, unhealthy: .infinity)
    public var replicationLagSeconds = Threshold(degraded: 5, unhealthy: 60)
    /// A peer that answers slowly is busy: degraded, never down (down is a refusal, or a silence that lasts:
    /// `Silence`).
    public var peerMilliseconds = Threshold(degraded: 300, unhealthy: .infinity)
    /// Share of a flow's requests answered with a 5xx over the window.
    public var errorRatio = Threshold(degraded: 0.02, unhealthy: 0.25)
    public var p99Milliseconds = Threshold(degraded: 500, unhealthy: 2000)
    /// Below this many requests in the window a flow's ratios say nothing.
    public var minimumRequests = 20
    public var hysteresis = Hysteresis(toWorse: 2, toBetter: 3)

    public init() {}

    /// The names an operator writes in `STOREFRONT_HEALTH_THRESHOLDS`, each as `name=degraded:unhealthy`.
    public static let names = ["db_read_ms", "db_write_ms", "pool_wait_ms", "replication_lag_s", "peer_ms", "error_ratio", "p99_ms"]

    private var byName: [String: WritableKeyPath<HealthThresholds, Threshold>] {
        [
            "db_read_ms": \.databaseReadMilliseconds, "db_write_ms": \.databaseWriteMilliseconds, "pool_wait_ms": \.poolWaitMilliseconds,
            "replication_lag_s": \.replicationLagSeconds, "peer_ms": \.peerMilliseconds, "error_ratio": \.errorRatio,
            "p99_ms": \.p99Milliseconds,
        ]
    }

    /// Overrides from text such as `db_read_ms=50:250,error_ratio=0.05:0.5,hysteresis=2:3,min_requests=50`;
    /// a single number (`db_read_ms=50`) sets only the degraded bound and leaves no unhealthy one.
    /// Returns a message naming the bad entry when the text is not valid.
    public mutating func apply(_ text: String) -> String? {
        for entry in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { return "'\(entry)' is not name=value" }
            let name = parts[0]
            let value = parts[1]
            if name == "min_requests" {
                guard let count = Int(value), count >= 1 else { return "min_requests must be a whole number of at least 1" }
                minimumRequests = count
                continue
            }
            var pair = value.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
            guard pair.allSatisfy({ $0?.isFinite == true }) else {
                return "\(name) must be two numbers separated by a colon (or one, for no unhealthy bound)"
            }
            if pair.count == 1, name != "hysteresis" { pair.append(.infinity) }
            guard pair.count == 2, let low = pair[0], let high = pair[1], low >= 0 else {
                return "\(name) must be two numbers separated by a colon (or one, for no unhealthy bound)"
            }
            if name == "hysteresis" {
                guard low >= 1, high >= 1, low == low.rounded(), high == high.rounded() else {
                    return "hysteresis must be worse:better, two whole numbers of at least 1"
                }
                hysteresis = Hysteresis(toWorse: Int(low), toBetter: Int(high))
                continue
            }
            guard let path = byName[name] else {
                return "unknown threshold '\(name)'; known: \((Self.names + ["hysteresis", "min_requests"]).joined(separator: ", "))"
            }
            guard low <= high else { return "\(name) must be degraded:unhealthy, the first not above the second" }
            self[keyPath: path] = Threshold(degraded: low, unhealthy: high)
        }
        return nil
    }
}
