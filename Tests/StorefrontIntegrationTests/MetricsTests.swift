import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import StorefrontApp
import StorefrontHTTP
import StorefrontHealth
import StorefrontTestSupport
import Testing

@Suite struct MetricsTests {
    /// Rate, errors and duration per route, the pool, and every health node's state, in Prometheus text.
    @Test func metricsCoverRoutesThePoolAndEveryHealthNode() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                try await waitUntilHealthy(client)
                for _ in 0..<3 { _ = try await client.get("/v1/products") }
                _ = try await client.get("/v1/products/not-a-uuid")
                let response = try await client.get("/metrics")
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                let lines = text.split(separator: "\n").map(String.init)
                func value(_ prefix: String) -> Double? {
                    lines.first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last!) }
                }
                #expect(value(#"storefront_http_requests_total{method="GET",route="/v1/products"}"#) == 3)
                #expect(value(#"storefront_http_request_errors_total{method="GET",route="/v1/products"}"#) == 0)
                #expect(value(#"storefront_http_responses_total{method="GET",route="/v1/products/{id}",status="400"}"#) == 1)
                #expect(value(#"storefront_http_request_duration_seconds_count{method="GET",route="/v1/products"}"#) == 3)
                #expect(
                    lines.contains { $0.hasPrefix(#"storefront_http_request_duration_seconds_bucket{method="GET",route="/v1/products",le="0.005"}"#) }
                )
                #expect(value("storefront_db_pool_max_connections") == 10)
                #expect(value("storefront_db_read_latency_seconds").map { $0 > 0 && $0 < 1 } == true)
                #expect(value("storefront_db_pool_wait_seconds") != nil)
                #expect(value("storefront_process_heap_in_use_bytes").map { $0 > 1_000_000 } == true)
                // What /health/ready answers, for alerts: the test app is ready (the gauge follows the
                // evaluation that made it so within moments).
                try await waitUntil("/metrics says the region is ready", timeout: .seconds(15)) {
                    String(buffer: try await client.get("/metrics").body).split(separator: "\n")
                        .first { $0.hasPrefix("storefront_health_ready ") }.flatMap { Double($0.split(separator: " ").last!) } == 1
                }
                // Every node is exported with its state. A healthy region exports 0 for each; on a loaded machine
                // one probe round can be slow and show 1 (degraded) for a moment, so wait for a healthy round.
                let nodes = ["region", "flow:checkout", "component:database", "signal:database.read_latency"]
                @Sendable func statuses(_ text: String) -> [Double?] {
                    nodes.map { node in
                        text.split(separator: "\n").first { $0.hasPrefix("storefront_health_node_status{") && $0.contains(#"node="\#(node)""#) }
                            .flatMap { Double($0.split(separator: " ").last!) }
                    }
                }
                #expect(statuses(text).allSatisfy { $0.map { [0, 1, 2].contains($0) } == true }, "\(statuses(text))")
                try await waitUntil("/metrics shows every node healthy", timeout: .seconds(15)) {
                    statuses(String(buffer: try await client.get("/metrics").body)).allSatisfy { $0 == 0 }
                }
            }
        }
    }
}
