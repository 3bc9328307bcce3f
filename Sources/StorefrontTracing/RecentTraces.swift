import DequeModule
import Synchronization

/// The traces a region keeps for `/debug/traces` (OpenTelemetry's zPages idea): the most recent kept ones,
/// the most recent failed ones, and the slowest of the last minutes, each list bounded, so memory stays the
/// same however long the region runs (at most `3 × perList` traces of at most 128 spans each).
public final class RecentTraces: Sendable {
    public let perList: Int
    /// How far back the slowest list looks.
    public let slowestWindow: Duration
    private let state = Mutex(State())

    private struct State {
        var recent: Deque<KeptTrace> = []
        var failed: Deque<KeptTrace> = []
        var slowest: [KeptTrace] = []
    }

    public init(perList: Int = 32, slowestWindow: Duration = .seconds(600)) {
        self.perList = perList
        self.slowestWindow = slowestWindow
    }

    func keep(_ kept: KeptTrace) {
        let windowStart = kept.trace.root.endNanos &- UInt64(slowestWindow.components.seconds) * 1_000_000_000
        state.withLock { state in
            state.recent.append(kept)
            if state.recent.count > perList { state.recent.removeFirst() }
            if kept.trace.failed {
                state.failed.append(kept)
                if state.failed.count > perList { state.failed.removeFirst() }
            }
            state.slowest.removeAll { $0.trace.root.endNanos < windowStart }
            state.slowest.append(kept)
            if state.slowest.count > perList,
                let fastest = state.slowest.indices.min(by: { duration(state.slowest[$0]) < duration(state.slowest[$1]) })
            {
                state.slowest.remove(at: fastest)
            }
        }
    }

    /// Every trace held, once each, the latest first.
    public func all() -> [KeptTrace] {
        let lists = state.withLock { [$0.recent.reversed(), $0.failed.reversed(), $0.slowest] as [[KeptTrace]] }
        var seen = Set<SpanID>()
        return lists.joined().filter { seen.insert($0.trace.root.spanID).inserted }.sorted { $0.trace.root.startNanos > $1.trace.root.startNanos }
    }

    /// This region's parts of one trace (a client that retried with the same `traceparent` makes several).
    public func parts(of traceID: TraceID) -> [KeptTrace] {
        all().filter { $0.trace.traceID == traceID }.sorted { $0.trace.root.startNanos < $1.trace.root.startNanos }
    }

    private func duration(_ kept: KeptTrace) -> UInt64 { kept.trace.root.durationNanos }
}
