import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing
import _ConnectionPoolModule

@testable import StorefrontHTTP

/// Clients that are slow, greedy or malformed on purpose: each limit holds, says why in a problem document
/// where HTTP allows one, and leaves everyone else served.
@Suite struct HostileClientTests {
    static let pageRequest = "GET /health/live HTTP/1.1\r\nHost: storefront\r\n\r\n"

    @Test func oneConnectionTooManyIsClosedAndTheOthersAreServed() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withLiveTestApp(database, environment: ["STOREFRONT_MAX_CONNECTIONS": "4"]) { client, port in
                // The test client holds one connection of its own; three more fill the server.
                _ = try await client.get("/health/live")
                var held: [RawConnection] = []
                for _ in 0..<3 { held.append(try await RawConnection.open(port: port)) }
                // A connect returns once the kernel accepted it; the server counts it a moment later, on one of
                // its event loops, in any order. Only once all four are counted is the next one the extra.
                try await waitUntil("the server counts four open connections", timeout: .seconds(5)) {
                    metricValue(String(buffer: try await client.get("/metrics").body), "storefront_http_connections_open") == 4
                }
                let extra = try await RawConnection.open(port: port)
                try await waitUntil("the connection over the limit is closed", timeout: .seconds(5)) { extra.isClosed }
                for connection in held {
                    #expect(!connection.isClosed)
                    try await connection.send(Self.pageRequest)
                    try await waitUntil("a held connection is answered", timeout: .seconds(5)) { connection.status != nil }
                    #expect(connection.status == 200)
                }
                let metrics = String(buffer: try await client.get("/metrics").body)
                #expect((metricValue(metrics, "storefront_http_connections_refused_total") ?? 0) >= 1)
                for connection in held { await connection.close() }
            }
        }
    }

    @Test func aClientTricklingItsHeadersIsCutOff() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withLiveTestApp(database, environment: ["STOREFRONT_HEADER_TIMEOUT_MS": "1000"]) { client, port in
                let slow = try await RawConnection.open(port: port)
                // The deadline runs from the accept: on a loaded machine this task may first run after it has
                // passed, and the socket is already closed, which is the deadline at work too.
                try? await slow.send("GET /health/live HTTP/1.1\r\n")
                // A header line every 200 ms would hold the socket for ever without a deadline on the whole head.
                for line in 0..<25 where !slow.isClosed {
                    try? await slow.send("X-Line-\(line): a\r\n")
                    try await Task.sleep(for: .milliseconds(200))
                }
                // Closed before the trickle's 25 lines (5 s) were all sent.
                #expect(slow.isClosed)
                #expect(slow.status == nil)
                #expect(try await client.get("/health/live").status == .ok)
                // An idle connection that never sends a byte is closed by the same deadline.
                let silent = try await RawConnection.open(port: port)
                try await waitUntil("a silent connection is closed", timeout: .seconds(5)) { silent.isClosed }
            }
        }
    }

    @Test func aBodyThatNeverEndsIsCutOff() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withLiveTestApp(database, environment: ["STOREFRONT_BODY_TIMEOUT_MS": "500"]) { client, port in
                let cart = try await Shopper(client: client).openCart()
                let slow = try await RawConnection.open(port: port)
                try await slow.send(
                    "PUT /v1/carts/\(cart.id)/items/NOPE HTTP/1.1\r\nHost: s\r\nCart-Token: \(cart.token)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"quantity\""
                )
                try await waitUntil("the connection whose body stalled is closed", timeout: .seconds(5)) { slow.isClosed }
            }
        }
    }

    @Test func headersOverTheLimitAre431() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withLiveTestApp(database, environment: ["STOREFRONT_MAX_HEADER_BYTES": "4096"]) { client, port in
                let big = try await RawConnection.open(port: port)
                try await big.send("GET /health/live HTTP/1.1\r\nHost: s\r\nX-Big: \(String(repeating: "a", count: 8192))\r\n\r\n")
                try await waitUntil("the oversized request is answered", timeout: .seconds(5)) { big.status != nil }
                #expect(big.status == 431)
                try await waitUntil("and its connection closed", timeout: .seconds(5)) { big.isClosed }
                #expect(try await client.get("/health/live").status == .ok)
            }
        }
    }

    @Test func aLongTargetIs414AndManyParametersA400ThatStaysSmall() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let long = try await client.get("/v1/products?q=\(String(repeating: "a", count: 5000))")
                #expect(long.status == .uriTooLong)
                #expect(long.headers[.contentType] == "application/problem+json")
                #expect(try long.json()["type"] as? String == "https://storefront.example/problems/uri-too-long")

                let many = (0..<40).map { "p\($0)=1" }.joined(separator: "&")
                let refused = try await client.get("/v1/products?\(many)")
                #expect(refused.status == .badRequest)
                #expect(refused.body.readableBytes < 1024, "\(String(buffer: refused.body))")

                // Within the count, every unknown parameter is a problem, but the answer lists at most ten.
                let unknown = (0..<30).map { "unknown\($0)=1" }.joined(separator: "&")
                let listed = try await client.get("/v1/products?\(unknown)")
                #expect(listed.status == .badRequest)
                let errors = try listed.json()["errors"] as? [[String: Any]] ?? []
                #expect(errors.count == 10)
                #expect((try listed.json()["detail"] as? String)?.contains("30 fields are invalid") == true)
            }
        }
    }

    @Test func deeplyNestedJSONIsRefusedBeforeDecoding() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let cart = try await Shopper(client: client).openCart()
                let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
                let response = try await client.execute(
                    uri: "/v1/carts/\(cart.id)/items/ANY",
                    method: .put,
                    headers: [Shopper.cartTokenHeader: cart.token, .contentType: "application/json"],
                    body: ByteBuffer(string: deep)
                )
                #expect(response.status == .badRequest)
                let errors = try response.json()["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["field"] as? String == "body")
            }
        }
    }

    @Test func nestingCountsBracketsOutsideStringsOnly() {
        #expect(JSONRequestDecoder.nesting(of: Array(#"{"a": [1, {"b": "[[[{{{"}]}"#.utf8)) == 3)
        #expect(JSONRequestDecoder.nesting(of: Array(#"{"a": "\"[[", "b": []}"#.utf8)) == 2)
        #expect(JSONRequestDecoder.nesting(of: Array("42".utf8)) == 0)
    }

    @Test func aClientOverItsCartLimitGets429WhileAnotherIsServed() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let environment = ["STOREFRONT_RATE_LIMITS": "cart_create=3/60s", "STOREFRONT_TRUSTED_PROXIES": "127.0.0.1"]
            try await withLiveTestApp(database, environment: environment) { client, _ in
                let greedy: HTTPFields = [.xForwardedFor: "203.0.113.7"]
                for _ in 0..<3 {
                    let opened = try await client.execute(uri: "/v1/carts", method: .post, headers: greedy, body: nil)
                    #expect(opened.status == .created)
                    #expect(opened.headers[HTTPField.Name("RateLimit-Policy")!] == #""cart_create";q=3;w=60"#)
                }
                let refused = try await client.execute(uri: "/v1/carts", method: .post, headers: greedy, body: nil)
                #expect(refused.status == .tooManyRequests)
                #expect(refused.headers[.contentType] == "application/problem+json")
                #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
                // Three tokens short of full, at one every 20 s: full again within a minute.
                let state = try #require(refused.headers[HTTPField.Name("RateLimit")!])
                #expect(state.hasPrefix(#""cart_create";r=0;t="#))
                #expect((50...60).contains(Int(state.split(separator: "=").last!) ?? 0), "\(state)")
                // A client the edge names otherwise has its own bucket; one that writes its own address in
                // front of the edge's cannot borrow another's.
                let other = try await client.execute(uri: "/v1/carts", method: .post, headers: [.xForwardedFor: "198.51.100.9"], body: nil)
                #expect(other.status == .created)
                let spoofed = try await client.execute(
                    uri: "/v1/carts",
                    method: .post,
                    headers: [.xForwardedFor: "198.51.100.10, 203.0.113.7"],
                    body: nil
                )
                #expect(spoofed.status == .tooManyRequests)
                // Reads are not limited.
                for _ in 0..<5 { #expect(try await client.get("/v1/brands", headers: greedy).status == .ok) }
            }
        }
    }

    @Test func forwardedForIsIgnoredFromAnUntrustedPeer() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withLiveTestApp(database, environment: ["STOREFRONT_RATE_LIMITS": "cart_create=2/60s"]) { client, _ in
                var statuses: [HTTPResponse.Status] = []
                for address in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
                    statuses.append(try await client.execute(uri: "/v1/carts", method: .post, headers: [.xForwardedFor: address], body: nil).status)
                }
                #expect(statuses == [.created, .created, .tooManyRequests])
            }
        }
    }

    @Test func everyAnswerCarriesTheSecurityHeaders() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                for path in ["/v1/brands", "/v1/carts/nope", "/health/ready"] {
                    let response = try await client.get(path)
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(path)")
                    #expect(response.headers[.cacheControl] != nil, "\(path)")
                }
                let dashboard = try await client.get("/health/dashboard")
                let policy = try #require(dashboard.headers[.contentSecurityPolicy])
                #expect(!policy.contains("unsafe-inline"))
                #expect(policy.contains("script-src 'sha256-"))
            }
        }
    }

    @Test func theContractIsServed() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let response = try await client.get("/openapi.yaml")
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/yaml")
                let document = String(buffer: response.body)
                #expect(document.hasPrefix("openapi: 3.1.0"))
                let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/openapi.yaml")
                #expect(document == (try String(contentsOf: source, encoding: .utf8)))
            }
        }
    }

    /// Secrets anyone could know: the cursor secret published in the source, tokens short enough to guess.
    @Test func serveRefusesSecretsAnyoneCouldKnow() async throws {
        let binary = try SpawnedProcess.binary
        let cases: [(String, [String: String])] = [
            ("STOREFRONT_CURSOR_SECRET is not set", ["STOREFRONT_CURSOR_SECRET": ""]),
            ("STOREFRONT_ADMIN_TOKEN is shorter than 32", ["STOREFRONT_ADMIN_TOKEN": "sixteen-chars-ok"]),
            ("STOREFRONT_PEER_SECRET is shorter than 32", ["STOREFRONT_PEER_SECRET": "sixteen-chars-ok"]),
            ("STOREFRONT_OBSERVER_TOKEN is shorter than 32", ["STOREFRONT_OBSERVER_TOKEN": "short"]),
        ]
        for (refusal, environment) in cases {
            let log = "\(RenderedPage.artifacts)/refused-\(UUID().uuidString).log"
            let process = try SpawnedProcess.start(
                [binary, "serve"],
                environment: [
                    "STOREFRONT_CURSOR_SECRET": "a-cursor-secret-of-thirty-two-characters", "STOREFRONT_ADMIN_TOKEN": "",
                    "STOREFRONT_PEER_SECRET": "", "STOREFRONT_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
                ].merging(environment) { $1 },
                output: log
            )
            // A usage error, before anything starts.
            #expect(try await process.exitStatus(within: .seconds(20)) == 64, "\(refusal)")
            let output = try String(contentsOfFile: log, encoding: .utf8)
            #expect(output.contains(refusal), "\(output)")
            #expect(output.contains("--development"))
        }
    }

    @Test func aLostConnectionIsA503ThatSaysTheOutcomeIsUnknown() {
        let write = Problem.from(ConnectionClosed(), changing: true)
        #expect(write.status == 503)
        #expect(write.type.hasSuffix("/outcome-unknown"))
        #expect(write.detail.contains("same Idempotency-Key"))
        #expect(write.headers["Retry-After"] == "1")
        let read = Problem.from(ConnectionClosed(), changing: false)
        #expect(read.status == 503)
        #expect(read.type.hasSuffix("/unavailable"))
        let pool = Problem.from(ConnectionPoolError.connectionCreationCircuitBreakerTripped)
        #expect(pool.status == 503)
        #expect(pool.type.hasSuffix("/unavailable"))
    }

    /// PostgreSQL's DETAIL line can hold a whole row; the log line of a failed request must not.
    @Test func aLoggedDatabaseErrorLeavesOutTheRowItsDetailHolds() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await database.asOwner { client async throws in
                try await client.run("CREATE TABLE shoppers (email text PRIMARY KEY)")
                let email = "ada@example.org"
                try await client.run("INSERT INTO shoppers VALUES (\(email))")
                do {
                    try await client.run("INSERT INTO shoppers VALUES (\(email))")
                    Issue.record("the duplicate was inserted")
                } catch {
                    #expect(String(reflecting: error).contains("ada@example.org"), "the test needs a DETAIL line to hide")
                    let logged = logDescription(of: error)
                    #expect(!logged.contains("ada@example.org"), "\(logged)")
                    #expect(logged.contains("23505"))
                    #expect(logged.contains("INSERT INTO shoppers"))
                }
            }
        }
    }

    @Test func aQueryTheDatabaseRefusesAsWrongIsStillA500() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await database.asApp { client async throws in
                do {
                    try await client.run("SELECT no_such_column FROM no_such_table")
                    Issue.record("the query ran")
                } catch {
                    #expect(Problem.from(error).status == 500)
                }
            }
        }
    }
}
