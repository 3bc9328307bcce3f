import Foundation
import StorefrontTracing
import Testing
import Tracing

@Suite struct TracerTests {
    /// A tracer that samples nothing at the head: only failures and slow requests are kept.
    func tracer(ratio: Double = 0, slow: Duration = .seconds(10), queue: SpanExportQueue? = nil) -> StorefrontTracer {
        StorefrontTracer(
            settings: TracingSettings(sampleRatio: ratio, slow: slow),
            region: "test-region",
            recent: RecentTraces(perList: 4),
            export: queue
        )
    }

    @Test func childrenShareTheRequestsTraceAndNameTheirParent() async throws {
        let tracer = tracer(ratio: 1)
        let root = tracer.startSpan("GET /things", context: .topLevel, ofKind: .server)
        try await InstrumentationContext.$current.withValue(root.context) {
            try await Spans.withSpan("store") { store in
                let store = try #require(store)
                #expect(store.traceID == root.traceID)
                #expect(store.parentID == root.spanID)
                await Spans.withSpan("statement", ofKind: .client) { statement in
                    #expect(statement?.parentID == store.spanID)
                }
            }
        }
        root.end()
        let kept = try #require(tracer.recent.parts(of: root.traceID).first)
        #expect(kept.trace.spans.map(\.name) == ["statement", "store", "GET /things"])
        #expect(kept.reasons == .sampled)
    }

    @Test func outsideARequestNothingIsRecorded() async {
        await Spans.withSpan("store") { span in #expect(span == nil) }
    }

    @Test func aCallersTraceContinuesWithItsSamplingDecision() throws {
        let tracer = tracer(ratio: 0)
        var context = InstrumentationContext.topLevel
        tracer.extract(
            ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": "vendor=x"],
            into: &context,
            using: DictionaryExtractor()
        )
        let root = tracer.startSpan("GET /things", context: context, ofKind: .server)
        #expect(root.traceID.hex == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(root.parentID?.hex == "00f067aa0ba902b7")
        var sent: [String: String] = [:]
        tracer.inject(root.context, into: &sent, using: DictionaryInjector())
        #expect(sent["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-\(root.spanID.hex)-01")
        #expect(sent["tracestate"] == "vendor=x")
        root.end()
        #expect(tracer.recent.parts(of: root.traceID).first?.reasons == .sampled)
    }

    @Test func anUnsampledRequestIsLetGoUnlessItFailsOrIsSlow() async throws {
        let tracer = tracer(ratio: 0, slow: .milliseconds(50))
        let quiet = tracer.startSpan("GET /quiet", context: .topLevel, ofKind: .server)
        quiet.end()
        let failing = tracer.startSpan("POST /failing", context: .topLevel, ofKind: .server)
        await InstrumentationContext.$current.withValue(failing.context) {
            _ = try? await Spans.withSpan("statement") { _ in throw CancellationError() }
        }
        failing.end()
        let slow = tracer.startSpan("GET /slow", context: .topLevel, ofKind: .server)
        try await Task.sleep(for: .milliseconds(60))
        slow.end()
        #expect(tracer.recent.parts(of: quiet.traceID).isEmpty)
        let failed = try #require(tracer.recent.parts(of: failing.traceID).first)
        #expect(failed.reasons == .failed)
        #expect(failed.trace.spans.first?.events.first?.name == "exception")
        #expect(tracer.recent.parts(of: slow.traceID).first?.reasons == .slow)
    }

    @Test func headSamplingFollowsTheRatioAndTheTraceID() {
        let tracer = tracer(ratio: 0.25)
        var sampled = 0
        for _ in 0..<4000 {
            let span = tracer.startSpan("GET /", context: .topLevel, ofKind: .server)
            if span.traceParent.sampled { sampled += 1 }
        }
        #expect((800...1200).contains(sampled))
    }

    @Test func theRecentListsStayBounded() {
        let tracer = tracer(ratio: 1)
        for _ in 0..<50 { tracer.startSpan("GET /", context: .topLevel, ofKind: .server).end() }
        // Recent, failed and slowest lists of four each; none failed, and the slowest are among the recent.
        #expect((4...8).contains(tracer.recent.all().count))
    }

    @Test func theExportQueueDropsAndCountsWhatDoesNotFit() {
        let queue = SpanExportQueue(capacity: 10)
        let tracer = tracer(ratio: 1, queue: queue)
        for _ in 0..<25 { tracer.startSpan("GET /", context: .topLevel, ofKind: .server).end() }
        #expect(queue.queuedSpans == 10)
        #expect(queue.droppedSpans == 15)
        #expect(queue.take(maxSpans: 4).count == 4)
        #expect(queue.queuedSpans == 6)
    }

    @Test func theExportIsOTLPJSONWithHexIDsAndStringNumbers() throws {
        let queue = SpanExportQueue()
        let tracer = tracer(ratio: 1, queue: queue)
        let root = tracer.startSpan("GET \"quoted\"", context: .topLevel, ofKind: .server)
        root.set("http.response.status_code", 200)
        root.end()
        let bytes = OTLPJSON.exportRequest(queue.take(maxSpans: 100), resource: [("service.name", "storefront")])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let resourceSpans = try #require(document["resourceSpans"] as? [[String: Any]])
        let scopeSpans = try #require(resourceSpans.first?["scopeSpans"] as? [[String: Any]])
        let span = try #require((scopeSpans.first?["spans"] as? [[String: Any]])?.first)
        #expect(span["traceId"] as? String == root.traceID.hex)
        #expect(span["spanId"] as? String == root.spanID.hex)
        #expect(span["name"] as? String == "GET \"quoted\"")
        #expect(span["kind"] as? Int == 2)
        #expect((span["startTimeUnixNano"] as? String).flatMap(UInt64.init) == root.startNanos)
        let attribute = try #require((span["attributes"] as? [[String: Any]])?.first)
        #expect(attribute["key"] as? String == "http.response.status_code")
        #expect((attribute["value"] as? [String: Any])?["intValue"] as? String == "200")
    }
}

private struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

private struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}
