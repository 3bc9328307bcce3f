/// A subscription's apply errors: a count PostgreSQL only ever raises, so what matters is whether it rose
/// lately.
public struct ApplyErrorHistory: Sendable {
    /// What the replication state says of one subscription.
    public typealias Subscription = (enabled: Bool, workerRunning: Bool, applyErrors: Int)

    public static let memory = Duration.seconds(60)
    private var seen: [String: (count: Int, risen: ContinuousClock.Instant?)] = [:]

    public init() {}

    /// The sample for `peer`'s subscription, nil when there is none. `caughtUp`: the peer's latest heartbeat
    /// applied here is fresh, so the worker applies again and the errors before are over.
    public mutating func sample(
        for peer: String,
        _ subscription: Subscription?,
        caughtUp: Bool,
        now: ContinuousClock.Instant = .now
    ) -> SignalSample {
        guard let subscription else { return .failed(unit: "errors", "no subscription to \(peer)'s changes", certain: true) }
        let previous = seen[peer]
        var risen = previous?.risen
        if let previous, subscription.applyErrors > previous.count { risen = now }
        if caughtUp && subscription.workerRunning { risen = nil }
        seen[peer] = (subscription.applyErrors, risen)
        let value = Double(subscription.applyErrors)
        if !subscription.enabled {
            // Read from the catalog: no fluke, and a disabled subscription stays so until someone enables it.
            return SignalSample(value: value, unit: "errors", status: .unhealthy, output: "subscription to \(peer) is disabled", certain: true)
        }
        if !subscription.workerRunning {
            return SignalSample(value: value, unit: "errors", status: .unhealthy, output: "no apply worker is receiving \(peer)'s changes")
        }
        if let risen, now - risen < Self.memory {
            return SignalSample(value: value, unit: "errors", status: .degraded, output: "apply errors rose within the last minute")
        }
        return SignalSample(value: value, unit: "errors", status: .healthy, output: "apply worker running")
    }
}
