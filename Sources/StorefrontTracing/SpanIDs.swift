import StorefrontCore
import Synchronization

/// Trace and span ids that are random to anyone who sees them and unique in this process, without a system
/// call per id: a count from a random start, mixed by SplitMix64's finaliser (a bijection, so no two counts
/// give the same id).
final class SpanIDs: Sendable {
    private let counter: Atomic<UInt64>
    private let key: UInt64

    init() {
        counter = Atomic(UInt64.random(in: .min ... .max))
        key = UInt64.random(in: .min ... .max)
    }

    func spanID() -> SpanID {
        var id: UInt64 = 0
        while id == 0 { id = next() }
        return SpanID(id)
    }

    func traceID() -> TraceID {
        var id = TraceID(high: 0, low: 0)
        while id.high == 0 && id.low == 0 { id = TraceID(high: next(), low: next()) }
        return id
    }

    private func next() -> UInt64 {
        var mixer = SplitMix64(seed: counter.wrappingAdd(1, ordering: .relaxed).newValue ^ key)
        return mixer.next()
    }
}
