import Foundation
import Logging
import PostgresNIO
import StorefrontCore
import Synchronization

/// The health prober's own connections to the region's database, outside the pool: one for reads, one for
/// the heartbeat write, one for the replication state, so the three probes run at once and each has its
/// deadline to itself. So the database signals measure the database, not the pool's queue (which has a
/// signal of its own); a probe never waits behind shoppers for a connection, so a busy pool cannot make a
/// healthy database look dead; and a probe past its deadline is cancelled, which closes only its own
/// connection and costs no shopper anything.
public final class DatabaseProbe: Sendable {
    let region: Region
    let logger: Logger
    let inspector: ReplicationInspector
    private let reads: ProbeConnection
    private let writes: ProbeConnection
    private let replicationState: ProbeConnection

    /// `connectTimeout` bounds opening a connection, which a probe does only when its last one closed; the
    /// server ends any probe statement after `statementTimeout`. `lost` is called when the server closes a
    /// probe connection between two probes (it shut down, crashed or ended the session): the prober need not
    /// wait for its next round to find out what happened.
    public init(
        url: DatabaseURL,
        region: Region,
        connectTimeout: Duration,
        statementTimeout: Duration,
        logger: Logger,
        lost: @escaping @Sendable () -> Void = {}
    ) throws(StorefrontError) {
        var configuration = try url.connectionConfiguration(connectTimeout: connectTimeout)
        configuration.options.additionalStartupParameters = [
            ("statement_timeout", "\(Int(statementTimeout.milliseconds))"), ("application_name", "storefront-health-prober"),
        ]
        self.region = region
        self.logger = logger
        self.inspector = ReplicationInspector(logger: logger)
        reads = ProbeConnection(configuration: configuration, logger: logger, lost: lost)
        writes = ProbeConnection(configuration: configuration, logger: logger, lost: lost)
        replicationState = ProbeConnection(configuration: configuration, logger: logger, lost: lost)
    }

    /// Opens what is not open: before a round, so that the time a probe takes is only its own.
    public func connect() async throws {
        async let reads = reads.open()
        async let writes = writes.open()
        async let replication = replicationState.open()
        _ = try await (reads, writes, replication)
    }

    /// `SELECT 1`: the database answers.
    public func read() async throws {
        try await reads.use { try await $0.run("SELECT 1", logger: logger) }
    }

    /// This region's heartbeat upserted: the database writes. Replicated to every peer, where its age is the
    /// replication lag from here.
    public func write() async throws {
        try await writes.use { connection in
            try await connection.run(
                """
                INSERT INTO heartbeats (region, beat_at, sequence) VALUES (\(region.name), now(), 1)
                ON CONFLICT (region) DO UPDATE SET beat_at = now(), sequence = heartbeats.sequence + 1
                """,
                logger: logger
            )
        }
    }

    /// Tells the region's instances what this round found (`RegionSession` hears it), on the write probe's
    /// connection.
    public func announce(_ round: DatabaseProbeRound) async throws {
        let payload = String(decoding: try JSONEncoder().encode(round), as: UTF8.self)
        try await writes.use { try await $0.run("SELECT pg_notify(\(RegionSession.probeChannel), \(payload))", logger: logger) }
    }

    /// Each subscription's state and each peer's heartbeat age, as this database has them.
    public func replication() async throws -> (subscriptions: [ReplicationReport.Subscription], heartbeatAges: [String: Double]) {
        try await replicationState.use { connection in
            (try await inspector.subscriptions(connection), try await inspector.heartbeatAges(connection))
        }
    }

    public func close() async {
        await reads.close()
        await writes.close()
        await replicationState.close()
    }
}

/// One connection, opened when first needed and again after it closed. Used by one task at a time.
private final class ProbeConnection: Sendable {
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    let lost: @Sendable () -> Void
    private let current = Mutex<PostgresConnection?>(nil)
    /// A probe runs on the connection, or it is being closed here, or the last probe on it failed: its close
    /// is then known already, and is no news.
    private let busy = Atomic(false)
    private let lastUseFailed = Atomic(false)
    private static let ids = Atomic(0)

    init(configuration: PostgresConnection.Configuration, logger: Logger, lost: @escaping @Sendable () -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.lost = lost
    }

    func open() async throws -> PostgresConnection {
        try await openNoting().connection
    }

    /// `body` on the open connection. When that connection turns out to have been lost since the last round
    /// (the server crashed or was stopped under it), once more on a fresh one: so the round says what is true
    /// now, answered or refused, and a refusal, which one sample proves, is named a round sooner.
    func use<Value>(_ body: (PostgresConnection) async throws -> Value) async throws -> Value {
        busy.store(true, ordering: .relaxed)
        defer { busy.store(false, ordering: .relaxed) }
        do {
            let value = try await attempt(body)
            lastUseFailed.store(false, ordering: .relaxed)
            return value
        } catch {
            lastUseFailed.store(true, ordering: .relaxed)
            throw error
        }
    }

    private func attempt<Value>(_ body: (PostgresConnection) async throws -> Value) async throws -> Value {
        let (connection, fresh) = try await openNoting()
        do {
            return try await body(connection)
        } catch let error as PSQLError where !fresh && error.connectionWasLost && !Task.isCancelled {
            return try await body(try await open())
        }
    }

    private func openNoting() async throws -> (connection: PostgresConnection, fresh: Bool) {
        if let open = current.withLock({ $0 }), !open.isClosed { return (open, false) }
        let id = Self.ids.add(1, ordering: .relaxed).newValue
        let fresh = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        current.withLock { $0 = fresh }
        fresh.closeFuture.whenComplete { [self] _ in
            if !busy.load(ordering: .relaxed) && !lastUseFailed.load(ordering: .relaxed) { lost() }
        }
        return (fresh, true)
    }

    func close() async {
        busy.store(true, ordering: .relaxed)
        guard let open = current.withLock({ $0.take() }) else { return }
        try? await open.close()
    }
}
