import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import StorefrontCore
import StorefrontTestSupport
import Testing

@testable import StorefrontHTTP

/// Probes and held product pages are answered before the router, on the connection's event loop: the same
/// answers as the router's, counted as the router counts, in the order they were asked.
@Suite struct MemoryReadTests {
    /// The router answers a path with a query string itself, and ignores the query on these routes.
    static let viaRouter = "?via=router"

    @Test func memoryAnswersWhatTheRouterAnswers() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withLiveTestApp(database) { client, _ in
                let product = try #require(try await client.get("/v1/products?limit=1").json()["items"] as? [[String: Any]]).first
                let id = try #require(product?["id"] as? String)
                // The first read of a page may be the one that puts it in memory.
                _ = try await client.get("/v1/products/\(id)")
                for path in ["/health/live", "/health/ready", "/health/ready/checkout", "/health/startup", "/v1/products/\(id)"] {
                    // The model is evaluated twice a second, and a readiness answer's reason is the latest
                    // evaluation's: a pair that straddles one differs, as it should. A pair answered from the same
                    // evaluation must not; one in twenty attempts is plenty.
                    var fast = try await client.execute(uri: path, method: .get, headers: [.requestID: "from-memory"], body: nil)
                    var routed = try await client.execute(uri: path + Self.viaRouter, method: .get, headers: [.requestID: "from-router"], body: nil)
                    for _ in 0..<20 where String(buffer: fast.body) != String(buffer: routed.body) {
                        fast = try await client.execute(uri: path, method: .get, headers: [.requestID: "from-memory"], body: nil)
                        routed = try await client.execute(uri: path + Self.viaRouter, method: .get, headers: [.requestID: "from-router"], body: nil)
                    }
                    #expect(fast.status == routed.status, "\(path)")
                    #expect(String(buffer: fast.body) == String(buffer: routed.body), "\(path)")
                    #expect(fast.headers[.requestID] == "from-memory")
                    #expect(routed.headers[.requestID] == "from-router")
                    #expect(Self.fields(fast.headers) == Self.fields(routed.headers), "\(path)")
                }
            }
        }
    }

    /// Every header but the request's own id and the date, by name.
    static let traceresponse = HTTPField.Name("traceresponse")!

    static func fields(_ headers: HTTPFields) -> [String: String] {
        var fields: [String: String] = [:]
        // Each answer names its own request and trace.
        for field in headers where ![.requestID, .date, Self.traceresponse].contains(field.name) { fields[field.name.canonicalName] = field.value }
        return fields
    }

    @Test func memoryReadsAreCounted() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withLiveTestApp(database) { client, _ in
                func served() async throws -> Double {
                    let text = String(buffer: try await client.get("/metrics").body)
                    let line = text.split(separator: "\n").first {
                        $0.hasPrefix(#"storefront_http_requests_total{method="GET",route="/health/live"}"#)
                    }
                    return line.flatMap { Double($0.split(separator: " ").last!) } ?? 0
                }
                let before = try await served()
                for _ in 0..<5 { #expect(try await client.get("/health/live").status == .ok) }
                #expect(try await served() == before + 5)
            }
        }
    }

    /// Pipelined: a listing the router answers from the database, then a probe memory could answer at once.
    /// The probe's answer waits for the listing's.
    @Test func answersKeepTheOrderOfTheirRequests() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withLiveTestApp(database) { _, port in
                let connection = try await RawConnection.open(port: port)
                try await connection.send(
                    "GET /v1/products?q=trail HTTP/1.1\r\nHost: test\r\nX-Request-ID: first\r\n\r\n"
                        + "GET /health/live HTTP/1.1\r\nHost: test\r\nX-Request-ID: second\r\n\r\n"
                )
                try await waitUntil("both answers arrive", timeout: .seconds(20)) {
                    connection.text.components(separatedBy: "HTTP/1.1 ").count == 3
                }
                let text = connection.text
                let first = try #require(text.range(of: "X-Request-ID: first"))
                let second = try #require(text.range(of: "X-Request-ID: second"))
                #expect(first.lowerBound < second.lowerBound)
                await connection.close()
            }
        }
    }
}
