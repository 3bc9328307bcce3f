import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import StorefrontApp
import StorefrontPostgres
import StorefrontTestSupport
import Testing

@Suite struct HealthRouteTests {
    @Test func aStartedRegionIsLiveStartedAndReadyForEveryFlow() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                try await waitUntilHealthy(client)
                for probe in ["live", "startup", "ready", "ready/browse", "ready/cart", "ready/checkout", "ready/order_history"] {
                    let response = try await client.get("/health/\(probe)")
                    #expect(response.status == .ok, "\(probe)")
                    #expect(response.headers[.contentType] == "application/health+json")
                    #expect(response.headers[.cacheControl] == "no-store")
                    // Ready, healthy or (one slow probe round on a loaded machine) degraded: never failing.
                    let status = try response.json()["status"] as? String
                    #expect(status == "pass" || status == "warn", "\(probe): \(String(buffer: response.body))")
                }
                let unknown = try await client.get("/health/ready/shoelaces")
                #expect(unknown.status == .notFound)
                #expect(unknown.headers[.contentType] == "application/problem+json")
            }
        }
    }

    /// The whole model in the IETF health-check format, with observed values, and the tree.
    @Test func theHealthDocumentDescribesEveryCheckAndTheTree() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                // A region just started, on a loaded machine, passes some rounds and warns in others: the
                // assertions read one document of a round that passed.
                let response = try await firstValue("a health document that passes") {
                    let response = try await client.get("/health")
                    return try response.json()["status"] as? String == "pass" ? response : nil
                }
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/health+json")
                let document = try response.json()
                #expect(document["serviceId"] as? String == "storefront-us-east")
                #expect(document["ready"] as? Bool == true)
                let checks = try #require(document["checks"] as? [String: [[String: Any]]])
                #expect(
                    Set(checks.keys).isSuperset(of: [
                        "database:read_latency", "database:write_latency", "database:pool_wait", "api:error_ratio", "api:p99_latency",
                    ])
                )
                let read = try #require(checks["database:read_latency"]?.first)
                #expect(read["componentType"] as? String == "datastore")
                #expect(read["observedUnit"] as? String == "ms")
                #expect((read["observedValue"] as? Double).map { $0 > 0 && $0 < 1000 } == true)
                #expect(read["status"] as? String == "pass")
                #expect(read["time"] is String)
                #expect(checks["api:error_ratio"]?.count == 4)
                let nodes = try #require(document["nodes"] as? [[String: Any]])
                #expect(nodes.contains { $0["id"] as? String == "flow:checkout" && $0["status"] as? String == "healthy" })
                let tree = try #require(document["tree"] as? [String: Any])
                #expect(tree["id"] as? String == "region")
                let children = try #require(tree["children"] as? [[String: Any]])
                #expect(
                    children.compactMap { $0["id"] as? String } == [
                        "flow:browse", "flow:cart", "flow:checkout", "flow:order_history",
                        "component:database", "component:replication", "component:peers", "component:api",
                    ]
                )
            }
        }
    }

    @Test func withoutADatabaseTheRegionIsLiveButNeitherStartedNorReady() async throws {
        let (_, app) = try TestDatabase.server()
        // A port where nothing listens: the database "is down".
        let nowhere = "postgres://storefront:x@127.0.0.1:1/\(app.database)"
        let configuration = try AppConfiguration(environment: [
            "STOREFRONT_DATABASE_URL": nowhere, "STOREFRONT_PROBE_INTERVAL_MS": "100",
        ])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let region = try buildRegion(configuration, logger: logger)
        try await withRunningServices(region) {
            try await region.application().test(.router) { client in
                try await waitUntil("a probe round has found the database unreachable") {
                    let reasons = try await client.get("/health/ready").json()["reasons"] as? [String] ?? []
                    return reasons.contains { $0.contains("database.read_latency") }
                }
                #expect(try await client.get("/health/live").status == .ok)
                #expect(try await client.get("/health/startup").status == .serviceUnavailable)
                let ready = try await client.get("/health/ready")
                #expect(ready.status == .serviceUnavailable)
                let reasons = try ready.json()["reasons"] as? [String] ?? []
                #expect(reasons.contains { $0.contains("migrations not applied yet") })
                #expect(reasons.contains { $0.contains("database.read_latency") })
                let document = try await client.get("/health")
                #expect(document.status == .serviceUnavailable)
                #expect(try document.json()["status"] as? String == "fail")
                // Anyone may read the model: it names the kind of failure, not the address or the error's text.
                let text = String(buffer: document.body) + String(buffer: ready.body)
                #expect(text.contains("could not connect (refused)"), "\(text)")
                #expect(!text.contains("127.0.0.1"), "\(text)")
                #expect(!text.contains(":1/"), "\(text)")
            }
        }
    }

    /// Probes answer from the latest evaluation: 10,000 of them add no query to the database.
    @Test func tenThousandReadinessProbesAddNoQuery() async throws {
        try await TestDatabase.withDatabase { database async throws in
            // Background loops slowed to one round in 20 s, so that nearly all the database counts during the
            // probes would be the probes' doing.
            let slow = [
                "STOREFRONT_PROBE_INTERVAL_MS": "20000", "STOREFRONT_CATALOG_REFRESH_MS": "20000", "STOREFRONT_RECONCILE_INTERVAL_MS": "20000",
            ]
            try await withTestApp(database, environment: slow) { client in
                try await database.asOwner { owner in
                    let before = try await Self.transactions(owner, database: database.appURL.database)
                    let start = ContinuousClock.now
                    for index in 0..<10_000 {
                        let probe = ["/health/ready", "/health/live", "/health/startup", "/health/ready/checkout"][index % 4]
                        let response = try await client.get(probe)
                        if response.status != .ok {
                            Issue.record("\(probe) answered \(response.status)")
                            return
                        }
                    }
                    let elapsed = ContinuousClock.now - start
                    // Read at once. A backend adds its counts to these at the end of a transaction at least a
                    // second after its last report, so a probe that queried would have shown thousands by now:
                    // only its last second could still be unreported.
                    let after = try await Self.transactions(owner, database: database.appURL.database)
                    print("10000 probes in \(elapsed); the database counted \(after - before) transactions meanwhile (the counting queries included)")
                    // The background loops still run a round every 20 s while the probes run (about 1.5
                    // transactions a second; more rounds on a loaded machine, where 10,000 probes take longer):
                    // the bound is one transaction per ten probes, ten times below what a probe that queried
                    // would add, and eleven minutes of background rounds.
                    #expect(after - before < 1000)
                }
            }
        }
    }

    static func transactions(_ client: PostgresClient, database: String) async throws -> Int {
        try await client.withConnection { connection in
            _ = try await connection.run("SELECT pg_stat_clear_snapshot()", logger: TestDatabase.logger)
            let rows = try await connection.rows(
                "SELECT (xact_commit + xact_rollback)::int8 FROM pg_stat_database WHERE datname = \(database)",
                logger: TestDatabase.logger
            )
            return Int(try rows[0].decode(Int64.self))
        }
    }
}

/// A region just started may be degraded for a few samples, while its first connections are opened.
func waitUntilHealthy(_ client: any TestClientProtocol) async throws {
    // Generous: on two loaded cores a probe can stay above its degraded threshold for a while.
    do {
        try await waitUntil("the region is healthy", timeout: .seconds(30)) {
            try await client.get("/health/ready").json()["status"] as? String == "pass"
        }
    } catch {
        // What kept it from healthy, for whoever reads the failure.
        let region = (try? await client.get("/health").json()["nodes"] as? [[String: Any]])?.first { $0["id"] as? String == "region" }
        throw TestSetupError("\(error); the region: \(region?["status"] ?? "unknown"), \(region?["reason"] ?? "no reason")")
    }
}
