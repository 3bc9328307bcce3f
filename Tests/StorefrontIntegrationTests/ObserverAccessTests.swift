import HTTPTypes
import Hummingbird
import HummingbirdTesting
import StorefrontTestSupport
import Testing

/// The probes are public; the model's reasons and figures and the metrics are for observers with the
/// token, by default.
@Suite struct ObserverAccessTests {
    static let token = "an-observer-token-of-thirty-two-chars"
    static let environment = ["STOREFRONT_HEALTH_DETAILS": "token", "STOREFRONT_OBSERVER_TOKEN": token]

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func theMetricsNeedTheObserverToken() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: Self.environment) { client in
                let anonymous = try await client.get("/metrics")
                #expect(anonymous.status == .unauthorized)
                #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
                #expect(anonymous.headers[.contentType] == "application/problem+json")
                #expect(!String(buffer: anonymous.body).contains("storefront_"))
                let wrong = try await client.execute(uri: "/metrics", method: .get, headers: Self.bearer(Self.token + "x"), body: nil)
                #expect(wrong.status == .unauthorized)
                let observer = try await client.execute(uri: "/metrics", method: .get, headers: Self.bearer(Self.token), body: nil)
                #expect(observer.status == .ok)
                #expect(String(buffer: observer.body).contains("storefront_db_pool"))
            }
        }
    }

    @Test func theHealthModelShowsStatusesToAllAndReasonsAndFiguresToObservers() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: Self.environment) { client in
                // Public means answered without a token. Not whether the region is ready: on a loaded machine
                // the test app's fast probes may miss a deadline, and that is not what this test is about.
                for probe in ["/health/ready", "/health/live", "/health/startup"] {
                    let answer = try await client.get(probe)
                    #expect([.ok, .serviceUnavailable].contains(answer.status), "\(probe)")
                    #expect(try answer.json()["status"] is String, "\(probe)")
                }

                let observed = try await client.execute(uri: "/health", method: .get, headers: Self.bearer(Self.token), body: nil).json()
                let observedNodes = try #require(observed["nodes"] as? [[String: Any]])
                #expect(observedNodes.contains { $0["observed_value"] != nil })

                let anonymous = try await client.get("/health")
                #expect(anonymous.status == .ok)
                let document = try anonymous.json()
                let nodes = try #require(document["nodes"] as? [[String: Any]])
                #expect(nodes.count == observedNodes.count)
                #expect(nodes.allSatisfy { $0["status"] != nil && $0["reason"] == nil && $0["observed_value"] == nil })
                let checks = try #require(document["checks"] as? [String: [[String: Any]]]).values.joined()
                #expect(!checks.isEmpty)
                #expect(checks.allSatisfy { $0["observedValue"] == nil && $0["output"] == nil && $0["componentId"] == nil })
            }
        }
    }

    /// What happened before is the observers': every signal's samples and every state change since the start,
    /// read incrementally with the answer's `until`; a bad `since` is the caller's mistake, named.
    @Test func theHistoryIsForObserversAndReadsOnFromItsUntil() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: Self.environment) { client in
                let anonymous = try await client.get("/health/history")
                #expect(anonymous.status == .unauthorized)
                #expect(anonymous.headers[.contentType] == "application/problem+json")
                @Sendable func history(_ query: String = "") async throws -> TestResponse {
                    try await client.execute(uri: "/health/history\(query)", method: .get, headers: Self.bearer(Self.token), body: nil)
                }
                try await waitUntil("two probe rounds are recorded", timeout: .seconds(20)) {
                    let signals = try await history().json()["signals"] as? [[String: Any]] ?? []
                    return signals.contains { ($0["times_ms"] as? [Any])?.count ?? 0 >= 2 }
                }
                let whole = try await history()
                #expect(whole.status == .ok)
                #expect(whole.headers[.cacheControl] == "no-store")
                let document = try whole.json()
                #expect(document["region"] as? String == "us-east")
                #expect(document["span_seconds"] as? Int == 3600)
                let signals = try #require(document["signals"] as? [[String: Any]])
                let read = try #require(signals.first { $0["id"] as? String == "database.read_latency" })
                let times = try #require(read["times_ms"] as? [Int64])
                let states = try #require(read["states"] as? String)
                #expect(times == times.sorted() && Set(times).count == times.count)
                #expect((read["values"] as? [Any])?.count == times.count && states.count == times.count)
                #expect(states.allSatisfy { "hdu".contains($0) })
                let changes = try #require(document["changes"] as? [[String: Any]])
                #expect(changes.contains { $0["node"] as? String == "region" && $0["from"] == nil })

                let until = try #require(document["until"] as? String)
                try await waitUntil("a probe round after the first answer", timeout: .seconds(20)) {
                    let later = try await history("?since=\(until)").json()["signals"] as? [[String: Any]] ?? []
                    return later.contains { ($0["times_ms"] as? [Int64])?.isEmpty == false }
                }
                let later = try await history("?since=\(until)").json()
                let laterTimes = (later["signals"] as? [[String: Any]] ?? []).flatMap { $0["times_ms"] as? [Int64] ?? [] }
                let untilMilliseconds = try #require(signals.flatMap { $0["times_ms"] as? [Int64] ?? [] }.max())
                #expect(laterTimes.allSatisfy { $0 > untilMilliseconds }, "nothing from before `since` again")

                for bad in ["?since=yesterday", "?since=2026-13-40T00:00:00Z", "?from=2026-12-02T00:00:00Z", "?since=%ZZ"] {
                    let refused = try await history(bad)
                    #expect(refused.status == .badRequest, "\(bad)")
                    #expect(refused.headers[.contentType] == "application/problem+json", "\(bad)")
                }
            }
        }
    }
}
