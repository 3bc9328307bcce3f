import Logging
import ServiceLifecycle
import StorefrontHealth
import StorefrontPostgres
import Synchronization

/// Keeps this instance's `RegionSession` for its whole life: follows the region's drain into the health
/// model and the region's database probe rounds into `rounds`; takes the probes' lease when nobody's round
/// has been heard for three intervals; and at the end closes the session, which frees its leases for the
/// region's other instances at once.
struct RegionSessionService: Service {
    let session: RegionSession
    let monitor: HealthMonitor
    let rounds: HeardProbeRounds
    let logger: Logger
    let activity = Activity()

    func run() async throws {
        activity.set("following the region's drain and database probes")
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await session.follow(drainChanged: { monitor.regionDrainChanged($0) }, probed: { rounds.heard($0) }, lost: { rounds.forget() })
                }
                group.addTask { await keepProbesLease() }
                await group.waitForAll()
            }
        }
        activity.set("closing the region session")
        await session.close()
    }

    /// Asks for the lease (one query) only while it is not this instance's and no round has been heard: the
    /// holder died or lost its session, or there is none yet. Never in the prober's round, which must not
    /// wait on a database that does not answer.
    private func keepProbesLease() async {
        while !Task.isCancelled {
            if !session.held.contains(.databaseProbes), rounds.latest(within: monitor.staleAfter) == nil {
                _ = await session.holds(.databaseProbes)
            }
            try? await Task.sleep(for: monitor.interval)
        }
    }
}

/// The latest round of the database probes announced in the region, and when it was heard.
final class HeardProbeRounds: Sendable {
    private let latest = Mutex<(round: DatabaseProbeRound, at: ContinuousClock.Instant)?>(nil)

    func heard(_ round: DatabaseProbeRound, at instant: ContinuousClock.Instant = .now) {
        latest.withLock { $0 = (round, instant) }
    }

    /// What was heard over a session that ended says nothing of the database now: this instance probes for
    /// itself until it hears a round again. (An instance whose database stopped answering would otherwise
    /// go on reporting the last healthy round, its own included, for three intervals.)
    func forget() {
        latest.withLock { $0 = nil }
    }

    /// The latest round, if it was heard within `age`.
    func latest(within age: Duration, now: ContinuousClock.Instant = .now) -> DatabaseProbeRound? {
        latest.withLock { latest in latest.flatMap { now - $0.at <= age ? $0.round : nil } }
    }
}
