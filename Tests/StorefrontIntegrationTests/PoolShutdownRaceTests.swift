import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import StorefrontApp
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// A service whose work waits for a pooled connection that never comes (nothing listens on the database's
/// port), stopped the way `storefront serve` stops it: graceful shutdown reaches the service and the pool
/// inside it at once. Each stop must end; a deadlock would end the run through the stop deadline.
@Suite struct PoolShutdownRaceTests {
    struct WaitsForTheDatabase: Service {
        let url: DatabaseURL

        func run() async throws {
            try? await cancelWhenGracefulShutdown {
                try await PostgresClient.withRunning(url, logger: quietLogger(), maximumConnections: 1) { client in
                    try await client.run("SELECT 1")
                }
            }
        }
    }

    static let rounds = 1000

    @Test func aStopWhileWorkWaitsForAConnectionAlwaysEnds() async throws {
        let url = try DatabaseURL("postgres://storefront:x@127.0.0.1:\(try freePort())/nowhere")
        let logger = quietLogger()
        var longest = Duration.zero
        for round in 0..<Self.rounds {
            let lifecycle = Lifecycle(logger: logger)
            let group = ServiceGroup(configuration: .init(services: [lifecycle.track(WaitsForTheDatabase(url: url), as: "waiter")], logger: logger))
            let deadline = StopDeadline(
                lifecycle: lifecycle,
                soft: .seconds(5),
                hard: .seconds(10),
                overran: { _ in },
                abandoned: { report in fatalError("round \(round): the stop never ended\n\(report)") }
            )
            let stop = try await withThrowingTaskGroup(of: Void.self, returning: Duration.self) { tasks in
                tasks.addTask { try await group.run() }
                // From nothing to a few failed connection attempts: the lease is queued by then, or about to be.
                try await Task.sleep(for: .microseconds(Int64(round % 50) * 200))
                let asked = ContinuousClock.now
                deadline.arm()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                deadline.disarm()
                return ContinuousClock.now - asked
            }
            longest = max(longest, stop)
            #expect(deadline.overrunReport == nil, "round \(round)")
        }
        print("\(Self.rounds) stops while waiting for a connection: the longest took \(longest)")
    }
}
