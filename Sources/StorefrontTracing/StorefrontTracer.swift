import StorefrontCore
import Tracing

/// The region's tracer, for swift-distributed-tracing's API: every span of a request is recorded in this
/// region's part of its trace; when the request ends, the part is kept if head sampling chose the trace, if
/// anything in it failed, or if it was slow (`TracingSettings`), and let go otherwise. What is kept goes to
/// the region's recent traces (`/debug/traces`) and, with an OTLP endpoint, to the export queue.
///
/// An instance per region, never `InstrumentationSystem`'s global one: a test process runs several regions.
/// Code below the request finds the tracer through the span in `InstrumentationContext.current`
/// (`Spans.withSpan`), so a store needs no tracer of its own and runs untraced outside a request.
public final class StorefrontTracer: Tracer {
    public typealias Span = TraceSpan

    public let settings: TracingSettings
    /// This region's name, on every span it exports.
    public let region: String
    public let recent: RecentTraces
    public let export: SpanExportQueue?
    let ids = SpanIDs()

    public init(settings: TracingSettings, region: String, recent: RecentTraces = RecentTraces(), export: SpanExportQueue? = nil) {
        self.settings = settings
        self.region = region
        self.recent = recent
        self.export = export
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> TraceSpan {
        var context = context()
        let start = instant().nanosecondsSinceEpoch
        if let parent = context.traceSpan {
            return TraceSpan(
                name: operationName,
                kind: kind,
                parentID: parent.spanID,
                trace: parent.trace,
                spanID: ids.spanID(),
                start: start,
                context: context
            )
        }
        // The first span of the request here: in the caller's trace if it named one, in a new one otherwise.
        let remote = context.remoteParent
        context.remoteParent = nil
        let traceID = remote?.parent.traceID ?? ids.traceID()
        let spanID = ids.spanID()
        let trace = RegionTrace(
            traceID: traceID,
            sampled: remote.map(\.parent.sampled) ?? settings.samples(traceID),
            traceState: remote?.traceState,
            rootID: spanID,
            tracer: self
        )
        return TraceSpan(
            name: operationName,
            kind: kind,
            parentID: remote?.parent.spanID,
            trace: trace,
            spanID: spanID,
            start: start,
            context: context
        )
    }

    public func forceFlush() {}

    /// A request answered at once in one step (a memory read): the ids its answer names, and its span,
    /// recorded only if the trace is sampled: such a read neither fails nor takes long, so nothing else would
    /// keep it, and an unsampled one costs no span at all.
    public func quickRequest(
        _ name: String,
        kind: SpanKind = .server,
        parent: TraceParent?,
        startNanos: UInt64,
        endNanos: UInt64,
        attributes: () -> SpanAttributes
    ) -> TraceParent {
        let traceID = parent?.traceID ?? ids.traceID()
        let sampled = parent?.sampled ?? settings.samples(traceID)
        let spanID = ids.spanID()
        if sampled {
            let span = FinishedSpan(
                name: name,
                kind: kind,
                spanID: spanID,
                parentID: parent?.spanID,
                startNanos: startNanos,
                endNanos: max(startNanos, endNanos),
                attributes: attributes(),
                status: nil,
                events: []
            )
            completed(CompletedTrace(traceID: traceID, sampled: true, failed: false, spans: [span], droppedSpans: 0))
        }
        return TraceParent(traceID: traceID, spanID: spanID, sampled: sampled)
    }

    /// Reads `traceparent` and `tracestate`; an invalid `traceparent` is ignored (a new trace), as the
    /// specification asks, and so is a `tracestate` without one.
    public func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract)
    where Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: "traceparent", from: carrier), let parent = TraceParent(header: header) else { return }
        let state = extractor.extract(key: "tracestate", from: carrier).flatMap { Self.isSane(traceState: $0) ? $0 : nil }
        context.remoteParent = RemoteParent(parent: parent, traceState: state)
    }

    /// Writes the current span as the parent of what is sent, with the trace's `tracestate`.
    public func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        guard let span = context.traceSpan else { return }
        injector.inject(span.traceParent.header, forKey: "traceparent", into: &carrier)
        if let state = span.trace.traceState { injector.inject(state, forKey: "tracestate", into: &carrier) }
    }

    /// Called once per request, when its span ends.
    func completed(_ trace: CompletedTrace) {
        var reasons: KeptTrace.Reasons = []
        if trace.sampled { reasons.insert(.sampled) }
        if trace.failed { reasons.insert(.failed) }
        if trace.root.durationNanos >= UInt64(settings.slow.nanoseconds) { reasons.insert(.slow) }
        guard !reasons.isEmpty else { return }
        let kept = KeptTrace(region: region, trace: trace, reasons: reasons)
        recent.keep(kept)
        export?.offer(kept)
    }

    /// At most 512 characters of what a `tracestate` may hold; anything else is dropped rather than passed on.
    static func isSane(traceState: String) -> Bool {
        traceState.utf8.count <= 512 && traceState.utf8.allSatisfy { (0x20...0x7e).contains($0) }
    }
}

/// A region's part of a trace that was kept, and why.
public struct KeptTrace: Sendable {
    public var region: String
    public var trace: CompletedTrace
    public var reasons: Reasons

    public struct Reasons: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let sampled = Reasons(rawValue: 1)
        public static let failed = Reasons(rawValue: 2)
        public static let slow = Reasons(rawValue: 4)

        public var names: [String] {
            [(Self.sampled, "sampled"), (.failed, "failed"), (.slow, "slow")].filter { contains($0.0) }.map(\.1)
        }
    }
}
