import Synchronization
import Tracing

/// This region's part of one trace: the spans of one request served here, collected as they end. When the
/// request's own span ends, the whole is handed to the tracer to keep or let go.
final class RegionTrace: Sendable {
    let traceID: TraceID
    /// Head sampling's decision, made once for the trace and sent on with it.
    let sampled: Bool
    let traceState: String?
    /// The request's span: the one whose end completes this part.
    let rootID: SpanID
    let tracer: StorefrontTracer
    private let state = Mutex(State())

    private struct State {
        var spans: [FinishedSpan] = []
        var dropped = 0
        var failed = false
        var complete = false
    }

    init(traceID: TraceID, sampled: Bool, traceState: String?, rootID: SpanID, tracer: StorefrontTracer) {
        self.traceID = traceID
        self.sampled = sampled
        self.traceState = traceState
        self.rootID = rootID
        self.tracer = tracer
    }

    func markFailed() {
        state.withLock { $0.failed = true }
    }

    func finish(_ span: FinishedSpan) {
        let completed: CompletedTrace? = state.withLock { state in
            // A span that outlives its request (work the request left running) is not part of what it showed.
            guard !state.complete else { return nil }
            if span.spanID == rootID {
                state.complete = true
                let spans = state.spans + [span]
                state.spans = []
                return CompletedTrace(
                    traceID: traceID,
                    sampled: sampled,
                    failed: state.failed || span.failed,
                    spans: spans,
                    droppedSpans: state.dropped
                )
            }
            if state.spans.count < Self.maximumSpans - 1 { state.spans.append(span) } else { state.dropped += 1 }
            return nil
        }
        if let completed { tracer.completed(completed) }
    }

    /// A request with more statements than this (a checkout of a full cart is about 40) keeps its first ones
    /// and counts the rest: the view and the queue stay bounded whatever a request does.
    static let maximumSpans = 128
}

/// A region's part of a trace, its request done.
public struct CompletedTrace: Sendable {
    public var traceID: TraceID
    public var sampled: Bool
    /// Whether any span failed: the request, or a step of it that was retried.
    public var failed: Bool
    /// The request's span last.
    public var spans: [FinishedSpan]
    public var droppedSpans: Int

    public var root: FinishedSpan { spans[spans.count - 1] }
}
