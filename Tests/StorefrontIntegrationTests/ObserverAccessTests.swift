import HTTPTypes
import Hummingbird
import HummingbirdTesting
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
}
