import Synchronization

/// Kept traces waiting for the exporter, bounded in spans: when the collector is slow or gone the queue
/// drops what does not fit, and counts it, rather than grow or hold a request up. Offering never waits.
public final class SpanExportQueue: Sendable {
    public let capacity: Int
    private let state = Mutex(State())

    private struct State {
        var traces: [KeptTrace] = []
        var spans = 0
        var dropped = 0
    }

    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func offer(_ kept: KeptTrace) {
        let count = kept.trace.spans.count
        state.withLock { state in
            guard state.spans + count <= capacity else {
                state.dropped += count
                return
            }
            state.traces.append(kept)
            state.spans += count
        }
    }

    /// Takes whole traces, oldest first, up to about `maxSpans` spans (at least one trace).
    public func take(maxSpans: Int) -> [KeptTrace] {
        state.withLock { state in
            var taken = 0
            var spans = 0
            while taken < state.traces.count, taken == 0 || spans + state.traces[taken].trace.spans.count <= maxSpans {
                spans += state.traces[taken].trace.spans.count
                taken += 1
            }
            let batch = Array(state.traces.prefix(taken))
            state.traces.removeFirst(taken)
            state.spans -= spans
            return batch
        }
    }

    /// Spans waiting now.
    public var queuedSpans: Int { state.withLock { $0.spans } }

    /// Spans dropped so far because the queue was full.
    public var droppedSpans: Int { state.withLock { $0.dropped } }
}
