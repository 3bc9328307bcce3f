import Logging
import PostgresNIO
import StorefrontCore

/// Creates or updates this region's publication and its subscriptions to every peer. Running it again is
/// harmless, and adds what is new: a table, a peer.
///
/// It runs as a superuser of this region's database (PostgreSQL 15 reserves CREATE SUBSCRIPTION to them).
public struct ReplicationSetup: Sendable {
    let client: PostgresClient
    let topology: ReplicationTopology
    /// The role peers connect as to copy and stream this region's rows.
    let replicatorRole: String
    let logger: Logger

    public init(client: PostgresClient, topology: ReplicationTopology, replicatorRole: String, logger: Logger) throws(StorefrontError) {
        guard isIdentifier(replicatorRole) else { throw .invalidConfiguration("replicator role must be a plain lowercase identifier") }
        self.client = client
        self.topology = topology
        self.replicatorRole = replicatorRole
        self.logger = logger
    }

    public func run() async throws {
        try await checkClusterName(client, region: topology.region, logger: logger)
        try await client.run(
            """
            INSERT INTO catalog_home (region) VALUES (\(topology.catalogHome.name))
            ON CONFLICT (singleton) DO UPDATE SET region = EXCLUDED.region
            """,
            logger: logger
        )
        try await client.run(
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(unescaped: replicatorRole)",
            logger: logger
        )

        let filter = "WHERE (region = \(sqlLiteral(topology.region.name)))"
        try await publish(
            ReplicationTopology.publication(of: topology.region),
            tables: ReplicationTopology.ownedTables.map { "\($0) \(filter)" }
        )
        if topology.region == topology.catalogHome {
            try await publish(ReplicationTopology.catalogPublication, tables: ReplicationTopology.catalogTables)
        }
        for peer in topology.peers {
            try await subscribe(to: peer)
        }
    }

    /// Publishes inserts, updates and deletes, never TRUNCATE: it ignores row filters and would wipe the
    /// other regions' rows.
    private func publish(_ name: String, tables: [String]) async throws {
        let exists = try await client.rows("SELECT 1 FROM pg_publication WHERE pubname = \(name)", logger: logger)
        if exists.isEmpty {
            try await client.run(
                "CREATE PUBLICATION \(unescaped: name) FOR TABLE \(unescaped: tables.joined(separator: ", ")) WITH (publish = 'insert, update, delete')",
                logger: logger
            )
            logger.info("created publication", metadata: ["publication": "\(name)"])
        } else {
            try await client.run("ALTER PUBLICATION \(unescaped: name) SET TABLE \(unescaped: tables.joined(separator: ", "))", logger: logger)
        }
    }

    /// How a subscription's apply worker commits what it applies: as an order does. The peer's slot moves past
    /// a transaction once this region reports it flushed, and never sends it again; PostgreSQL's default for
    /// subscriptions, `off`, reports a flush the region's synchronous standby may not hold yet, so a failover in
    /// that moment would lose the peer's rows here for good. `on` waits for the standby's flush (or, with none,
    /// the local one) before the apply worker goes on.
    static let applyCommit = "'on'"

    private func subscribe(to peer: ReplicationTopology.PeerDatabase) async throws {
        let name = topology.subscription(to: peer.region)
        let publications = topology.publications(of: peer.region).joined(separator: ", ")
        let exists = try await client.rows(
            "SELECT 1 FROM pg_subscription WHERE subname = \(name) AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
            logger: logger
        )
        if exists.isEmpty {
            // A peer whose database is a Patroni pair keeps this subscription's slot as a permanent one, and
            // makes it again if it is dropped (a resync drops it): the subscription then takes it up. Its
            // position may be older than the copy, never newer: each table's copy starts after it, and what
            // the slot sends from before a table's copy is skipped for that table.
            let slot = topology.slot(from: peer.region)
            let slotExists = await peerKeeps(slot, peer)
            // disable_on_error stays off: it would also disable the subscription when the peer merely restarts.
            try await client.run(
                """
                CREATE SUBSCRIPTION \(unescaped: name) CONNECTION \(unescaped: sqlLiteral(peer.url.conninfo))
                PUBLICATION \(unescaped: publications)
                WITH (slot_name = \(unescaped: sqlLiteral(slot)), create_slot = \(unescaped: slotExists ? "false" : "true"), copy_data = true,
                      synchronous_commit = \(unescaped: Self.applyCommit))
                """,
                logger: logger
            )
            logger.info(
                "created subscription",
                metadata: ["subscription": "\(name)", "peer": "\(peer.region)", "slot": "\(slotExists ? "the peer's, taken up" : "created")"]
            )
        } else {
            try await client.run(
                "ALTER SUBSCRIPTION \(unescaped: name) CONNECTION \(unescaped: sqlLiteral(peer.url.conninfo))",
                logger: logger
            )
            try await client.run("ALTER SUBSCRIPTION \(unescaped: name) SET (synchronous_commit = \(unescaped: Self.applyCommit))", logger: logger)
            try await client.run(
                "ALTER SUBSCRIPTION \(unescaped: name) SET PUBLICATION \(unescaped: publications) WITH (refresh = true)",
                logger: logger
            )
        }
    }

    /// Whether the peer already keeps `slot`. Asked from here, with the peer's URL; when that cannot be done
    /// (a CA file the URL names lives on this region's database server, not where setup runs), the
    /// subscription creates its slot, as it always did, and the log says why it could not ask.
    private func peerKeeps(_ slot: String, _ peer: ReplicationTopology.PeerDatabase) async -> Bool {
        do {
            return try await PostgresClient.withRunning(peer.url, logger: logger, maximumConnections: 1) { publisher in
                try await !publisher.rows("SELECT 1 FROM pg_replication_slots WHERE slot_name = \(slot)", logger: logger).isEmpty
            }
        } catch {
            logger.notice(
                "could not ask the peer whether it keeps the subscription's slot: creating it",
                metadata: ["peer": "\(peer.region)", "slot": "\(slot)", "error": "\(String(reflecting: error))"]
            )
            return false
        }
    }

    /// Starts a peer's rows over after its slot was lost: drops the subscription (and the lost slot at the
    /// peer), deletes this region's copy of the peer's rows, and subscribes again with a fresh copy.
    public func resync(peer: ReplicationTopology.PeerDatabase) async throws {
        let name = topology.subscription(to: peer.region)
        let exists = try await client.rows(
            "SELECT 1 FROM pg_subscription WHERE subname = \(name) AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
            logger: logger
        )
        if !exists.isEmpty {
            try await client.run("ALTER SUBSCRIPTION \(unescaped: name) DISABLE", logger: logger)
            try await client.run("ALTER SUBSCRIPTION \(unescaped: name) SET (slot_name = NONE)", logger: logger)
            try await client.run("DROP SUBSCRIPTION \(unescaped: name)", logger: logger)
        }
        let slot = topology.slot(from: peer.region)
        try await PostgresClient.withRunning(peer.url, logger: logger, maximumConnections: 1) { publisher in
            try await publisher.run(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = \(slot)",
                logger: logger
            )
        }
        try await client.transaction(logger: logger) { connection in
            // As the apply worker does: the ownership guards do not fire for these deletes.
            try await connection.run("SET LOCAL session_replication_role = replica", logger: logger)
            for table in ReplicationTopology.ownedTables.reversed() {
                try await connection.run(
                    "DELETE FROM \(unescaped: table) WHERE region = \(peer.region.name)",
                    logger: logger
                )
            }
            if peer.region == topology.catalogHome {
                for table in ReplicationTopology.catalogTables.reversed() {
                    try await connection.run("DELETE FROM \(unescaped: table)", logger: logger)
                }
            }
        }
        try await subscribe(to: peer)
        logger.info("resynchronising from peer", metadata: ["peer": "\(peer.region)"])
    }

    /// How many of the peer's tables are still being copied to this region (0 once the copy is complete).
    public func tablesBeingCopied(from peer: Region) async throws -> Int {
        try await client.rows(
            """
            SELECT count(*) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid
            WHERE s.subname = \(topology.subscription(to: peer)) AND r.srsubstate <> 'r'
              AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            """,
            logger: logger
        ).onlyRow(of: "count(*) of tables still copying").decode(Int.self)
    }
}

/// Refuses to go on when the database server is not the region it is told it is: the ownership guards
/// compare rows with the server's cluster_name.
public func checkClusterName(_ client: PostgresClient, region: Region, logger: Logger) async throws {
    let clusterName = try await client.rows("SELECT current_setting('cluster_name')", logger: logger).first?.decode(String.self) ?? ""
    guard clusterName == region.name else {
        throw StorefrontError.invalidConfiguration(
            "the database server's cluster_name is '\(clusterName)', not '\(region.name)': set cluster_name = '\(region.name)' in its postgresql.conf"
        )
    }
}

/// A dead peer's replication slot keeps every byte of WAL written since it left, until the disk is full and
/// the region with it, unless `max_slot_wal_keep_size` bounds it (the slot is then lost and the peer resyncs
/// with `storefront replication resync`). Refuses a server with no bound unless `allowUnlimited`, and then
/// says so loudly at every start.
public func checkSlotWALLimit(_ client: PostgresClient, allowUnlimited: Bool, logger: Logger) async throws {
    let limit = try await client.rows("SELECT current_setting('max_slot_wal_keep_size')", logger: logger).first?.decode(String.self) ?? "-1"
    switch slotWALVerdict(limit: limit, allowUnlimited: allowUnlimited) {
    case .bounded: return
    case .allowed(let warning): logger.critical("\(warning)")
    case .refused(let problem): throw StorefrontError.invalidConfiguration(problem)
    }
}

public enum SlotWALVerdict: Equatable, Sendable {
    case bounded
    case allowed(warning: String)
    case refused(String)
}

/// What start-up does with the server's `max_slot_wal_keep_size` (`-1` is unlimited).
public func slotWALVerdict(limit: String, allowUnlimited: Bool) -> SlotWALVerdict {
    guard limit == "-1" else { return .bounded }
    let risk = "max_slot_wal_keep_size is unlimited: a dead peer's replication slot would keep WAL until the disk is full"
    if allowUnlimited { return .allowed(warning: "\(risk) (allowed by STOREFRONT_ALLOW_UNLIMITED_SLOT_WAL)") }
    return .refused("\(risk); set it (for example max_slot_wal_keep_size = 1GB), or start with STOREFRONT_ALLOW_UNLIMITED_SLOT_WAL=true")
}
