import Foundation
import Logging
import PostgresNIO
import StorefrontCore
import Synchronization

/// This instance's own session with its region's database, outside the pool, for what the instances of one
/// region share:
///
/// - **Leases.** A job that one instance of the region runs at a time (the database probes, purge,
///   reconciliation, transfers) is this instance's while it holds the job's advisory lock on this session.
///   A session lock lasts as long as the session, needs no renewal, and is freed by the server the moment the
///   instance dies or its connection is cut (the keepalives below bound how long a silent one takes), for
///   another instance to take at its next round.
/// - **The region's drain**, which every instance hears of here (`LISTEN`) as soon as it changes, and reads
///   again at every reconnection.
/// - **The rounds of the database probes** that the holder of the probes' lease announces (`DatabaseProbe`),
///   which the other instances use instead of probing themselves.
public final class RegionSession: Sendable {
    public enum Job: Int32, Sendable, CaseIterable, CustomStringConvertible {
        case databaseProbes = 1
        case purge = 2
        case reconciliation = 3
        case transfers = 4

        public var description: String {
            switch self {
            case .databaseProbes: "database probes"
            case .purge: "purge"
            case .reconciliation: "reconciliation"
            case .transfers: "transfers"
            }
        }
    }

    /// The storefront's space of advisory locks, the first key of the two-key form ("SF").
    static let lockSpace: Int32 = 0x5346

    private let configuration: PostgresConnection.Configuration
    private let region: Region
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var opening: Task<PostgresConnection, any Error>?
        /// Counts connections: what is held belongs to one.
        var generation = 0
        var held: Set<Job> = []
        /// When this instance last asked for a lease it did not get: another instance holds it.
        var refused: [Job: ContinuousClock.Instant] = [:]
        var closed = false
    }

    /// A lease another instance holds is asked for again only this long after: its holder lets it go only
    /// by dying, and each ask is a query every instance would otherwise make every round.
    static let askAgainAfter = Duration.seconds(5)

    public init(url: DatabaseURL, region: Region, connectTimeout: Duration, statementTimeout: Duration, logger: Logger) throws(StorefrontError) {
        var configuration = try url.connectionConfiguration(connectTimeout: connectTimeout)
        configuration.options.additionalStartupParameters = [
            ("statement_timeout", "\(Int(statementTimeout.milliseconds))"),
            ("application_name", "storefront-region-session"),
            // The server frees a lease when it finds the session gone: within 5 + 3 × 2 s of silence, not the
            // kernel's two hours.
            ("tcp_keepalives_idle", "5"), ("tcp_keepalives_interval", "2"), ("tcp_keepalives_count", "3"),
        ]
        self.configuration = configuration
        self.region = region
        self.logger = logger
    }

    /// Whether this instance holds `job`'s lease, taking it if it is free: one query when it is not held
    /// yet, none once it is. False when the database cannot be reached: a job nobody can be sure of holding
    /// is not run here.
    public func holds(_ job: Job) async -> Bool {
        (try? await take(job)) ?? false
    }

    private func take(_ job: Job) async throws -> Bool {
        let (connection, generation) = try await open()
        let now = ContinuousClock.now
        let (held, askedLately) = state.withLock { state in
            (state.generation == generation && state.held.contains(job), state.refused[job].map { now - $0 < Self.askAgainAfter } ?? false)
        }
        if held { return true }
        if askedLately { return false }
        let rows = try await connection.rows("SELECT pg_try_advisory_lock(\(Self.lockSpace), \(job.rawValue))", logger: logger)
        guard try rows.first?.decode(Bool.self) == true else {
            state.withLock { $0.refused[job] = now }
            return false
        }
        let kept = state.withLock { state in
            guard state.generation == generation else { return false }
            state.held.insert(job)
            return true
        }
        if kept { logger.notice("this instance took the region's lease", metadata: ["job": "\(job)"]) }
        return kept
    }

    /// The jobs whose leases this instance holds now, as far as it knows without asking.
    public var held: Set<Job> { state.withLock { $0.held } }

    static let probeChannel = "storefront_database_probes"

    /// Until cancelled: `drainChanged` hears the region's drain at every (re)connection and after every
    /// change of it; `probed` hears every round of the database probes announced by an instance; `lost`
    /// hears that the session's connection ended, with the leases it held.
    public func follow(
        drainChanged: @escaping @Sendable (VersionedDrain) -> Void,
        probed: @escaping @Sendable (DatabaseProbeRound) -> Void,
        lost: @escaping @Sendable () -> Void
    ) async {
        while !Task.isCancelled {
            do {
                let (connection, _) = try await open()
                try await connection.listen(on: PostgresRegionDrains.channel) { drains in
                    try await connection.listen(on: Self.probeChannel) { rounds in
                        drainChanged(try await PostgresRegionDrains.current(of: region, on: connection, logger: logger))
                        try await withThrowingTaskGroup { group in
                            group.addTask { [region, logger] in
                                for try await _ in drains {
                                    drainChanged(try await PostgresRegionDrains.current(of: region, on: connection, logger: logger))
                                }
                            }
                            group.addTask {
                                for try await notification in rounds {
                                    guard let round = try? JSONDecoder().decode(DatabaseProbeRound.self, from: Data(notification.payload.utf8))
                                    else { continue }
                                    probed(round)
                                }
                            }
                            // Either ends when the connection does.
                            try await group.next()
                            group.cancelAll()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("the region session's connection failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            lost()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Closes the session: every lease it held is free for another instance at once.
    public func close() async {
        let opening = state.withLock { state in
            state.closed = true
            state.held = []
            defer { state.opening = nil }
            return state.opening
        }
        if let connection = try? await opening?.value { try? await connection.close() }
    }

    /// The session's connection, opened by one caller when it is not open; `generation` names it.
    private func open() async throws -> (PostgresConnection, generation: Int) {
        let (task, generation) = try state.withLock { state throws -> (Task<PostgresConnection, any Error>, Int) in
            if state.closed { throw CancellationError() }
            if let opening = state.opening { return (opening, state.generation) }
            state.generation += 1
            state.held = []
            let generation = state.generation
            let task = Task { [configuration, logger] in
                let connection = try await PostgresConnection.connect(configuration: configuration, id: generation, logger: logger)
                connection.closeFuture.whenComplete { _ in self.forget(generation) }
                return connection
            }
            state.opening = task
            return (task, generation)
        }
        do {
            let connection = try await task.value
            guard !connection.isClosed else { throw ConnectionClosed() }
            return (connection, generation)
        } catch {
            forget(generation)
            throw error
        }
    }

    /// The connection of `generation` is gone, and every lease with it.
    private func forget(_ generation: Int) {
        let lost = state.withLock { state -> Set<Job> in
            guard state.generation == generation, state.opening != nil else { return [] }
            state.opening = nil
            defer { state.held = [] }
            return state.held
        }
        if !lost.isEmpty {
            logger.warning("the region session closed: its leases are free", metadata: ["jobs": "\(lost.sorted { $0.rawValue < $1.rawValue })"])
        }
    }
}
