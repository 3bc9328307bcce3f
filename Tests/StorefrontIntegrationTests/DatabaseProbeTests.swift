import Foundation
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Synchronization
import Testing

/// The prober's own connections tell it when the server drops one between two probes, so that a database
/// that went away is found at once rather than at the next round; a close of its own is no news.
@Suite struct DatabaseProbeTests {
    static func probe(_ database: TestDatabase, lost: @escaping @Sendable () -> Void) throws -> DatabaseProbe {
        try DatabaseProbe(
            url: database.appURL,
            region: TestDatabase.region,
            connectTimeout: .seconds(5),
            statementTimeout: .seconds(5),
            logger: TestDatabase.logger,
            lost: lost
        )
    }

    @Test func aProbeConnectionTheServerEndsBetweenProbesIsReported() async throws {
        try await TestDatabase.withDatabase { database async throws in
            let losses = Atomic(0)
            let probe = try Self.probe(database) { losses.add(1, ordering: .relaxed) }
            try await probe.connect()
            try await probe.read()
            #expect(losses.load(ordering: .relaxed) == 0)
            let superuser = try TestCluster.named("us-east").adminURL(database: "postgres")
            try await PostgresClient.withRunning(superuser, logger: TestDatabase.logger) { admin in
                _ = try await admin.rows(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'storefront-health-prober' AND datname = \(database.appURL.database)"
                )
            }
            try await waitUntil("the three lost connections are reported", timeout: .seconds(10)) {
                losses.load(ordering: .relaxed) == 3
            }
            // The next probe opens a fresh connection and answers.
            try await probe.read()
            await probe.close()
            try await Task.sleep(for: .milliseconds(200))
            #expect(losses.load(ordering: .relaxed) == 3, "closing its own connections is no news")
        }
    }
}
