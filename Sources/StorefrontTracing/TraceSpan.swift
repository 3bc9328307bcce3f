import Synchronization
import Tracing

/// One span this region records: a request, a wait, a store call, a statement, a forward.
public final class TraceSpan: Span {
    public let traceID: TraceID
    public let spanID: SpanID
    /// The span it is part of: in this region, or the caller's (another region, the edge); nil for a trace's
    /// first span.
    public let parentID: SpanID?
    public let kind: SpanKind
    public let startNanos: UInt64
    let trace: RegionTrace
    /// The context it started in; its own `context` adds itself.
    private let startContext: InstrumentationContext
    private let state: Mutex<State>

    struct State {
        var name: String
        var attributes = SpanAttributes()
        var status: SpanStatus?
        var events: [SpanEvent] = []
        var ended = false
    }

    init(name: String, kind: SpanKind, parentID: SpanID?, trace: RegionTrace, spanID: SpanID, start: UInt64, context: InstrumentationContext) {
        self.traceID = trace.traceID
        self.spanID = spanID
        self.parentID = parentID
        self.kind = kind
        self.startNanos = start
        self.trace = trace
        self.startContext = context
        self.state = Mutex(State(name: name))
    }

    public var context: InstrumentationContext {
        var context = startContext
        context.traceSpan = self
        return context
    }

    public var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { $0.name = newValue } }
    }

    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    /// Sets one attribute, where `attributes[name] = value` would copy them all out and back.
    public func set(_ name: String, _ value: some SpanAttributeConvertible) {
        state.withLock { $0.attributes[name] = value.toSpanAttribute() }
    }

    public var isRecording: Bool { true }

    /// The `tracestate` the trace came with, passed on with it.
    public var traceState: String? { trace.traceState }

    /// The W3C header that names this span as the parent of whatever it calls.
    public var traceParent: TraceParent { TraceParent(traceID: traceID, spanID: spanID, sampled: trace.sampled) }

    public func setStatus(_ status: SpanStatus) {
        if status.code == .error { trace.markFailed() }
        state.withLock { $0.status = status }
    }

    public func addEvent(_ event: SpanEvent) {
        state.withLock { if $0.events.count < Self.maximumEvents { $0.events.append(event) } }
    }

    /// Recorded as OpenTelemetry's `exception` event, and the span's status set to error. The message is the
    /// error's own description, cut short: the store's errors name what failed, never a bound value
    /// (PostgresNIO's `PSQLError` hides the server's detail for that reason).
    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        var eventAttributes = attributes
        eventAttributes["exception.type"] = String(describing: type(of: error))
        // Only an error that describes itself for people: a plain struct's reflection would print its fields.
        if type(of: error) is any CustomStringConvertible.Type {
            eventAttributes["exception.message"] = String(String(describing: error).prefix(Self.maximumMessage))
        }
        addEvent(SpanEvent(name: "exception", at: instant(), attributes: eventAttributes))
        setStatus(SpanStatus(code: .error, message: String(describing: type(of: error))))
    }

    public func addLink(_ link: SpanLink) {}

    /// A child started now or at `start`, to be ended by the caller: for a step that is not one closure (a
    /// wait that turned out to be one, a lease up to the moment it is handed over).
    public func startChild(_ name: String, kind: SpanKind = .internal, at start: DefaultTracerClock.Instant = DefaultTracerClock.now) -> TraceSpan {
        trace.tracer.startSpan(name, context: context, ofKind: kind, at: start)
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let finished: FinishedSpan? = state.withLock { state in
            guard !state.ended else { return nil }
            state.ended = true
            return FinishedSpan(
                name: state.name,
                kind: kind,
                spanID: spanID,
                parentID: parentID,
                startNanos: startNanos,
                endNanos: max(startNanos, instant().nanosecondsSinceEpoch),
                attributes: state.attributes,
                status: state.status,
                events: state.events
            )
        }
        if let finished { trace.finish(finished) }
    }

    static let maximumEvents = 16
    static let maximumMessage = 256
}

/// A span as it ended: what the in-process view shows and the exporter sends.
public struct FinishedSpan: Sendable {
    public var name: String
    public var kind: SpanKind
    public var spanID: SpanID
    public var parentID: SpanID?
    public var startNanos: UInt64
    public var endNanos: UInt64
    public var attributes: SpanAttributes
    public var status: SpanStatus?
    public var events: [SpanEvent]

    public var durationNanos: UInt64 { endNanos - startNanos }
    public var failed: Bool { status?.code == .error }
}

extension InstrumentationContext {
    /// The span that encloses the code running now, from which the next span is started.
    public var traceSpan: TraceSpan? {
        get { self[TraceSpanKey.self] }
        set { self[TraceSpanKey.self] = newValue }
    }

    /// The caller's span, read from its `traceparent`, for the first span of this region's part of a trace.
    var remoteParent: RemoteParent? {
        get { self[RemoteParentKey.self] }
        set { self[RemoteParentKey.self] = newValue }
    }
}

struct RemoteParent: Sendable {
    var parent: TraceParent
    var traceState: String?
}

private enum TraceSpanKey: InstrumentationContextKey {
    typealias Value = TraceSpan
    static var nameOverride: String? { "storefront-span" }
}

private enum RemoteParentKey: InstrumentationContextKey {
    typealias Value = RemoteParent
}
