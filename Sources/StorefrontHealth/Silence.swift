import Foundation

/// How long each signal's probe has gone without an answer.
///
/// A dependency that refuses the connection is gone, and says so at once. One that does not answer within
/// the probe's deadline may be gone (a machine lost, a partition) or only busy (a launch-day rush, cores
/// saturated, a stall of a second or two): saturation is not failure. Taking a busy database for a dead one
/// takes a busy region out of rotation and pushes its rush onto the next region; taking a busy peer for a
/// dead one adopts its carts, and forks every cart it adopts. So a silent dependency is degraded until its
/// silence has lasted `limit`, and only then down.
public struct Silence: Sendable {
    public let limit: Duration
    private var since: [SignalID: ContinuousClock.Instant] = [:]

    /// How long a silence lasts before it is taken for down, unless a test says otherwise.
    public static let defaultLimit = Duration.seconds(3)

    public init(limit: Duration = defaultLimit) {
        self.limit = limit
    }

    /// The probe got an answer (whatever it said): its silence, if any, is over.
    public mutating func answered(_ signal: SignalID) {
        since[signal] = nil
    }

    /// The sample for a probe of `signal` that got no answer by its deadline: `reason` says what happened.
    public mutating func unanswered(
        _ signal: SignalID,
        _ reason: String,
        unit: String = "ms",
        consequenceOf cause: SignalID? = nil,
        at now: ContinuousClock.Instant = .now
    ) -> SignalSample {
        let start = since[signal] ?? now
        since[signal] = start
        let silent = now - start
        if silent >= limit {
            return .failed(unit: unit, "no answer for \(silent.secondsText): taken for down (\(reason))", consequenceOf: cause)
        }
        return SignalSample(
            value: nil,
            unit: unit,
            status: .degraded,
            output: "\(reason): busy or gone, taken for down after \(limit.secondsText) without an answer",
            instant: now,
            consequenceOf: cause
        )
    }

    /// A refusal is certain, and is the start of a silence too: a dependency that refuses and then stops
    /// answering has been gone since the refusal.
    public mutating func refused(_ signal: SignalID, _ reason: String, unit: String = "ms", at now: ContinuousClock.Instant = .now) -> SignalSample {
        if since[signal] == nil { since[signal] = now }
        return .failed(unit: unit, "unreachable: \(reason)", certain: true)
    }
}

/// "1.5 s", for the reasons people read.
extension Duration {
    var secondsText: String {
        let (seconds, attoseconds) = components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return "\(value.formatted(.number.precision(.fractionLength(0...1)))) s"
    }
}
