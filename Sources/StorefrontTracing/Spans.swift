import StorefrontCore
import Tracing

/// Spans below the request's own: each finds the request's span in `InstrumentationContext.current` and
/// starts its child with that span's tracer. Outside a traced request (a probe, a background job, tracing
/// off) the body runs alone, for the price of reading a task-local.
public enum Spans {
    /// The span of the code running now, if it runs in a traced request.
    public static var current: TraceSpan? { InstrumentationContext.current?.traceSpan }

    /// Runs `body` in a child of the current span named `name` (made only when there is one), which records
    /// what `body` throws: as the answer it is for a `StorefrontError`, as a failure otherwise.
    public static func withSpan<Result>(
        _ name: @autoclosure () -> String,
        ofKind kind: SpanKind = .internal,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (TraceSpan?) async throws -> Result
    ) async rethrows -> Result {
        guard let context = InstrumentationContext.current, let parent = context.traceSpan else { return try await body(nil) }
        let span = parent.trace.tracer.startSpan(name(), context: context, ofKind: kind)
        defer { span.end() }
        do {
            return try await InstrumentationContext.$current.withValue(span.context) { try await body(span) }
        } catch let outcome as StorefrontError {
            // A shopper's request that the domain refuses (not found, out of stock) is an answer, not a failure.
            span.set("storefront.outcome", outcome.caseName)
            throw outcome
        } catch {
            span.recordError(error)
            throw error
        }
    }
}

extension StorefrontError {
    /// The case alone, such as `outOfStock`: never the values it carries.
    var caseName: String { String(String(describing: self).prefix { $0 != "(" }) }
}
