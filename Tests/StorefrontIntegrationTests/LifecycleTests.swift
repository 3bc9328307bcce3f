import Foundation
import Logging
import PostgresNIO
import StorefrontApp
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Synchronization
import Testing

@Suite struct LifecycleTests {
    /// A stop while start-up waits on the database: here the migrations wait for the lock another session
    /// holds, and nothing would end that wait. Before queries ended on cancellation, this stop waited as long
    /// as the lock was held; with a ROLLBACK sent to the connection it closed, it never ended at all.
    @Test func aStopWhileMigrationsWaitForALockEndsAtOnce() async throws {
        let (owner, app) = try TestDatabase.server()
        let name = "sf_lock_\(UInt32.random(in: 0...UInt32.max))"
        try await owner.withRunning { try await $0.run("CREATE DATABASE \(unescaped: name)") }
        try await owner.with(database: name).withRunning { holder in
            try await holder.transaction(logger: TestDatabase.logger) { connection in
                try await connection.run("SELECT pg_advisory_xact_lock(\(Migrator.lockKey))")
                var environment = appEnvironment(TestDatabase(ownerURL: owner.with(database: name), appURL: app.with(database: name)))
                environment["STOREFRONT_STOP_TIMEOUT_MS"] = "20000"
                let region = try buildRegion(try AppConfiguration(environment: environment), logger: quietLogger())
                let asked = Mutex<ContinuousClock.Instant?>(nil)
                try await withRunningServices(region) {
                    try await waitUntil("the migrations wait for the lock", timeout: .seconds(20)) {
                        try await connection.rows("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").count == 1
                    }
                    asked.withLock { $0 = .now }
                }
                let stop = ContinuousClock.now - asked.withLock { $0! }
                print("stopped while the migrations waited for a lock: in \(stop)")
                // Ended by the cancelled wait, not by the stop's deadline (20 s, named in the timeline if it
                // overran) nor by the lock (held until this test ends). A bound far below the deadline: a
                // loaded machine took 1.3 s here and an idle one 0.02 s.
                #expect(stop < .seconds(10))
                #expect(!region.lifecycle.timeline.contains { $0.contains("deadline") && $0.contains("overran") })
            }
        }
        try await owner.withRunning { try await $0.run("DROP DATABASE \(unescaped: name) WITH (FORCE)") }
    }
}

extension DatabaseURL {
    func withRunning<Result: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> Result) async throws -> Result {
        try await PostgresClient.withRunning(self, logger: TestDatabase.logger, maximumConnections: 2, body)
    }
}
