import Synchronization

/// Kept traces waiting for the exporter, bounded in spans: when the collector is slow or gone the queue
/// drops what does not fit, and counts it, rather than grow or hold a request up. Offering never waits.
public final class SpanExportQueue: Sendable {
    public let capacity: Int
    /// Told the spans queued and the spans just dropped after every change, outside the lock: the metrics
    /// follow the queue even while the exporter waits on a collector that does not answer.
    private let onChange: @Sendable (_ queued: Int, _ dropped: Int) -> Void
    private let state = Mutex(State())

    private struct State {
        var traces: [KeptTrace] = []
        var spans = 0
        var dropped = 0
    }

    public init(capacity: Int = 4096, onChange: @escaping @Sendable (_ queued: Int, _ dropped: Int) -> Void = { _, _ in }) {
        self.capacity = capacity
        self.onChange = onChange
    }

    func offer(_ kept: KeptTrace) {
        let count = kept.trace.spans.count
        let (queued, dropped) = state.withLock { state in
            guard state.spans + count <= capacity else {
                state.dropped += count
                return (state.spans, count)
            }
            state.traces.append(kept)
            state.spans += count
            return (state.spans, 0)
        }
        onChange(queued, dropped)
    }

    /// Takes whole traces, oldest first, up to about `maxSpans` spans (at least one trace).
    public func take(maxSpans: Int) -> [KeptTrace] {
        let (batch, queued) = state.withLock { state in
            var taken = 0
            var spans = 0
            while taken < state.traces.count, taken == 0 || spans + state.traces[taken].trace.spans.count <= maxSpans {
                spans += state.traces[taken].trace.spans.count
                taken += 1
            }
            let batch = Array(state.traces.prefix(taken))
            state.traces.removeFirst(taken)
            state.spans -= spans
            return (batch, state.spans)
        }
        if !batch.isEmpty { onChange(queued, 0) }
        return batch
    }

    /// Spans waiting now.
    public var queuedSpans: Int { state.withLock { $0.spans } }

    /// Spans dropped so far because the queue was full.
    public var droppedSpans: Int { state.withLock { $0.dropped } }
}
