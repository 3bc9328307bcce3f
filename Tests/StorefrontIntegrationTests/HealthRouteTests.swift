import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import StorefrontApp
import StorefrontPostgres
import Testing

@Suite struct HealthRouteTests {
    @Test func aStartedRegionIsLiveStartedAndReady() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                for probe in ["live", "startup", "ready"] {
                    let response = try await client.get("/health/\(probe)")
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/health+json")
                    #expect(try response.json()["status"] as? String == "pass")
                }
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
        let application = try buildApplication(configuration, logger: logger)
        try await application.test(.router) { client in
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await client.get("/health/live").status == .ok)
            #expect(try await client.get("/health/startup").status == .serviceUnavailable)
            let ready = try await client.get("/health/ready")
            #expect(ready.status == .serviceUnavailable)
            let reasons = try ready.json()["reasons"] as? [String] ?? []
            #expect(reasons.contains { $0.contains("database unreachable") })
        }
    }
}
