import Foundation

/// How long each peer has gone without answering its `/health/live`.
///
/// A peer that refuses the connection is gone, and says so at once. A peer that does not answer within the
/// probe's deadline may be gone (a machine lost, a partition) or only busy (a launch-day rush, a stall of a
/// second or two): saturation is not failure, and what this region does with a peer found down — adopting
/// its carts — forks every cart it adopts. So a silent peer is degraded until its silence has lasted `limit`,
/// and only then down.
public struct PeerSilence: Sendable {
    public let limit: Duration
    private var since: [String: ContinuousClock.Instant] = [:]

    public init(limit: Duration = .seconds(3)) {
        self.limit = limit
    }

    /// The peer answered (whatever it said): its silence, if any, is over.
    public mutating func answered(_ peer: String) {
        since[peer] = nil
    }

    /// The sample for a probe of `peer` that got no answer by its deadline: `reason` says what happened.
    public mutating func unanswered(_ peer: String, _ reason: String, at now: ContinuousClock.Instant = .now) -> SignalSample {
        let start = since[peer] ?? now
        since[peer] = start
        let silent = now - start
        if silent >= limit {
            return .failed(unit: "ms", "no answer for \(silent.secondsText): taken for down (\(reason))")
        }
        return SignalSample(
            value: nil,
            unit: "ms",
            status: .degraded,
            output: "\(reason): busy or gone, taken for down after \(limit.secondsText) without an answer",
            instant: now
        )
    }

    /// A refusal is certain, and is the start of a silence too: a peer that refuses and then stops answering
    /// has been gone since the refusal.
    public mutating func refused(_ peer: String, _ reason: String, at now: ContinuousClock.Instant = .now) -> SignalSample {
        if since[peer] == nil { since[peer] = now }
        return .failed(unit: "ms", "unreachable: \(reason)", certain: true)
    }
}

extension Duration {
    fileprivate var secondsText: String {
        let (seconds, attoseconds) = components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return "\(value.formatted(.number.precision(.fractionLength(0...1)))) s"
    }
}
