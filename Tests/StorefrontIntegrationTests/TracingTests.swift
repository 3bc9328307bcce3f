import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import StorefrontTestSupport
import Testing

/// Tracing as a shopper's client and an engineer see it: the trace named on every answer and in every
/// problem, a caller's `traceparent` continued only when trusted, probes untraced, the region's recent
/// traces at `/debug/traces`, and an exporter whose collector is away costing requests nothing.
@Suite struct TracingTests {
    static let traceresponse = HTTPField.Name("traceresponse")!
    static let traceparent = HTTPField.Name("traceparent")!
    static let json: HTTPFields = [.accept: "application/json"]

    func traceID(_ response: TestResponse) throws -> String {
        let header = try #require(response.headers[Self.traceresponse])
        let fields = header.split(separator: "-")
        #expect(fields.count == 4 && fields[0] == "00")
        return String(fields[1])
    }

    @Test func everyAnswerNamesItsTraceAndAProblemCarriesIt() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let missing = try await client.get("/v1/carts/\(UUID().uuidString.lowercased())", headers: [.cartToken: "x"])
                #expect(missing.status == .notFound)
                let traceID = try traceID(missing)
                #expect(try missing.json()["trace_id"] as? String == traceID)
                let opened = try await client.execute(uri: "/v1/carts", method: .post, headers: [:], body: nil)
                #expect(opened.status == .created)
                #expect(try self.traceID(opened) != traceID)
                // Probes are not traced: an orchestrator calls them as often as it likes.
                #expect(try await client.get("/health/ready").headers[Self.traceresponse] == nil)
                #expect(try await client.get("/metrics").headers[Self.traceresponse] == nil)
            }
        }
    }

    @Test func aClientsTraceparentStartsANewTraceUnlessTheRegionIsToldToTrustIt() async throws {
        let offered = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let response = try await client.execute(uri: "/v1/carts", method: .post, headers: [Self.traceparent: offered], body: nil)
                #expect(try traceID(response) != "4bf92f3577b34da6a3ce929d0e0e4736")
            }
            try await withTestApp(database, environment: ["STOREFRONT_TRACE_PARENT": "always", "STOREFRONT_TRACE_SAMPLE": "0"]) { client in
                let response = try await client.execute(uri: "/v1/carts", method: .post, headers: [Self.traceparent: offered], body: nil)
                #expect(try traceID(response) == "4bf92f3577b34da6a3ce929d0e0e4736")
                // The caller sampled it, so the region kept it, under the caller's span.
                let trace = try await client.get("/debug/traces/4bf92f3577b34da6a3ce929d0e0e4736", headers: Self.json)
                #expect(trace.status == .ok)
                let parts = try #require(try trace.json()["parts"] as? [[String: Any]])
                let spans = try #require(parts.first?["spans"] as? [[String: Any]])
                #expect(spans.first?["parent_span_id"] as? String == "00f067aa0ba902b7")
                #expect(spans.first?["name"] as? String == "POST /v1/carts")
                #expect(spans.contains { ($0["name"] as? String)?.hasPrefix("INSERT") == true || $0["name"] as? String == "CartStore.open" })
                // A malformed one is ignored: a new trace.
                let malformed = try await client.execute(uri: "/v1/carts", method: .post, headers: [Self.traceparent: "00-zz-00-01"], body: nil)
                #expect(malformed.status == .created)
                #expect(try traceID(malformed).count == 32)
            }
            try await withTestApp(database, environment: ["STOREFRONT_TRACING": "false"]) { client in
                let response = try await client.execute(uri: "/v1/carts", method: .post, headers: [:], body: nil)
                #expect(response.status == .created)
                #expect(response.headers[Self.traceresponse] == nil)
                #expect(try await client.get("/debug/traces", headers: Self.json).status == .notFound)
            }
        }
    }

    @Test func theRegionShowsItsKeptTracesByFlow() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withLiveTestApp(database, environment: ["STOREFRONT_TRACE_SAMPLE": "1"]) { client, port in
                let shopper = Shopper(client: client)
                let cart = try await shopper.openCart()
                let cartTrace = try traceID(try await shopper.cart(cart))
                let listing = try await client.get("/v1/products?limit=1").json()
                let product = try #require((listing["items"] as? [[String: Any]])?.first?["id"] as? String)
                // A product page comes from memory, and is traced as the router's requests are.
                let page = try await client.get("/v1/products/\(product)")
                #expect(page.status == .ok)
                let pageTrace = try traceID(page)

                let carts = try await client.get("/debug/traces?flow=cart", headers: Self.json).json()
                let cartTraces = try #require(carts["traces"] as? [[String: Any]])
                #expect(cartTraces.contains { $0["trace_id"] as? String == cartTrace && $0["name"] as? String == "GET /v1/carts/{id}" })
                #expect(cartTraces.allSatisfy { $0["flow"] as? String == "cart" })
                let browse = try await client.get("/debug/traces?flow=browse", headers: Self.json).json()
                #expect((browse["traces"] as? [[String: Any]] ?? []).contains { $0["trace_id"] as? String == pageTrace })
                let one = try await client.get("/debug/traces/\(cartTrace)", headers: Self.json)
                let spans = try #require((try one.json()["parts"] as? [[String: Any]])?.first?["spans"] as? [[String: Any]])
                #expect(spans.contains { $0["name"] as? String == "CartStore.cart" })
                #expect(spans.contains { ($0["attributes"] as? [[String: String]] ?? []).contains { $0["key"] == "db.query.text" } })
                // A browser gets the page that draws them, under a policy that runs only its own script.
                let html = try await client.get("/debug/traces/\(cartTrace)")
                #expect(html.headers[.contentType] == "text/html; charset=utf-8")
                #expect(html.headers[.contentSecurityPolicy]?.contains("script-src 'sha256-") == true)
                // Drawn by a real browser: the waterfall names the trace's spans only if the policy let its
                // script run.
                let drawn = try await RenderedPage.render(port: port, path: "/debug/traces/\(cartTrace)", screenshot: "trace-\(cartTrace).png")
                #expect(drawn.dom.contains("Trace \(cartTrace)"), "\(drawn.dom.prefix(2000))")
                #expect(drawn.dom.contains("CartStore.cart"))
                let unknown = try await client.get("/debug/traces/\(String(repeating: "0", count: 31))1", headers: Self.json)
                #expect(unknown.status == .notFound, "\(unknown.status) \(String(buffer: unknown.body))")
                let malformed = try await client.get("/debug/traces/not-a-trace", headers: Self.json)
                #expect(malformed.status == .notFound, "\(malformed.status) \(String(buffer: malformed.body))")
            }
        }
    }

    @Test func aCollectorThatNeverAnswersCostsRequestsNothingAndTheQueueStaysBounded() async throws {
        let collector = try await SilentCollector()
        try await TestDatabase.withDatabase { database async throws in
            // The collector holds each export for the whole timeout: a minute, longer than the test.
            let environment = [
                "STOREFRONT_OTLP_ENDPOINT": collector.url, "STOREFRONT_TRACE_SAMPLE": "1", "STOREFRONT_OTLP_QUEUE_SPANS": "64",
                "STOREFRONT_OTLP_TIMEOUT_MS": "60000",
            ]
            try await withTestApp(database, environment: environment) { client in
                #expect(try await client.execute(uri: "/v1/carts", method: .post, headers: [:], body: nil).status == .created)
                try await waitUntil("an export is held by the collector") { collector.heldExports > 0 }
                // Every request is answered while the export is still held: none waits for it.
                for _ in 0..<60 {
                    #expect(try await client.execute(uri: "/v1/carts", method: .post, headers: [:], body: nil).status == .created)
                }
                #expect(collector.heldExports > 0, "the export ended before the requests did: the test proves nothing")
                try await waitUntil("the full queue's drops are counted") {
                    let metrics = String(buffer: try await client.get("/metrics").body)
                    return (labelledMetric(metrics, "storefront_trace_spans_dropped_total", #"reason="queue_full""#) ?? 0) > 0
                }
                let metrics = String(buffer: try await client.get("/metrics").body)
                #expect((metricValue(metrics, "storefront_trace_spans_queued") ?? .infinity) <= 64)
            }
        }
        try await collector.close()
    }

    @Test func aCollectorThatRefusesConnectionsCountsWhatItLost() async throws {
        let closedPort = try freePort()
        try await TestDatabase.withDatabase { database async throws in
            let environment = ["STOREFRONT_OTLP_ENDPOINT": "http://127.0.0.1:\(closedPort)", "STOREFRONT_TRACE_SAMPLE": "1"]
            try await withTestApp(database, environment: environment) { client in
                for _ in 0..<5 {
                    #expect(try await client.execute(uri: "/v1/carts", method: .post, headers: [:], body: nil).status == .created)
                }
                try await waitUntil("the failed export is counted") {
                    let metrics = String(buffer: try await client.get("/metrics").body)
                    return (labelledMetric(metrics, "storefront_trace_spans_dropped_total", #"reason="export_failed""#) ?? 0) > 0
                }
            }
        }
    }
}

/// The value of `name{label}` in a Prometheus text exposition.
func labelledMetric(_ exposition: String, _ name: String, _ label: String) -> Double? {
    exposition.split(separator: "\n").lazy
        .compactMap { line -> Double? in
            guard line.hasPrefix(name + "{"), line.contains(label), let value = line.split(separator: " ").last else { return nil }
            return Double(value)
        }
        .first
}
