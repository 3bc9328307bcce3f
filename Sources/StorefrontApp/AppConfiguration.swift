import Foundation
import Logging
import StorefrontCore
import StorefrontHTTP
import StorefrontHealth
import StorefrontPostgres
import StorefrontTracing

/// Everything `storefront serve` needs, read from `STOREFRONT_*` environment variables (each declared once, in
/// `Settings`); flags override.
public struct AppConfiguration: Sendable {
    public var region: Region
    /// The region that owns the catalog; the others read it from replication.
    public var catalogHome: Region
    public var host: String
    public var port: Int
    /// Where HAProxy's agent check asks for this region's weight; 0 turns the agent off.
    public var agentPort: Int
    /// The serving role: row privileges only.
    public var databaseURL: DatabaseURL
    /// The schema owner that applies migrations; the serving role when not set.
    public var migrationDatabaseURL: DatabaseURL
    public var appRole: String
    public var migrate: Bool
    /// Start even when the database lets a dead peer's replication slot keep WAL without bound.
    public var allowUnlimitedSlotWAL: Bool
    public var maxDatabaseConnections: Int
    /// How often an idle pooled connection is checked with a query; nil for never. The pool arms a timer each
    /// time a connection comes back to it while this is on.
    public var databaseKeepAlive: Duration?
    public var databaseIdleTimeout: Duration
    /// How long a request may wait for its class of work to have room before it is shed with a 503.
    public var admissionWait: Duration
    /// The longest one statement, or one wait for a lock, may take on the serving connections.
    public var statementTimeoutMilliseconds: Int
    /// The longest a statement may wait for a row or table lock; at most the statement timeout.
    public var lockTimeoutMilliseconds: Int
    /// Signs pagination cursors; every region must share it so a shopper can page across a failover.
    public var cursorSecret: String
    public var adminToken: String?
    /// How long a cart lives without a change.
    public var cartLifetime: Duration
    /// Whether a cart's changes wait for their commit to be flushed; orders, stock and idempotency records
    /// always do (docs/durability.md).
    public var synchronousCartCommits: Bool
    public var catalogRefreshInterval: Duration
    /// Products held in memory at most (`CatalogCache`); the rest are read from the database on first use.
    public var catalogCacheProducts: Int
    public var probeInterval: Duration
    /// How often this region purges its rows past their retention (`DataPurger`).
    public var purgeInterval: Duration
    /// How often this region looks for its duplicate orders of one checkout (`OrderReconciler`).
    public var reconcileInterval: Duration
    /// The other regions: their replication is watched and their `/health/live` probed.
    public var peers: [PeerAPI]
    /// Authenticates calls between regions (a request forwarded to the region that owns its cart or
    /// order); the same in every region. Without it no region forwards, and each adopts what reaches it.
    public var peerSecret: String?
    public var healthThresholds: HealthThresholds
    /// After SIGTERM, how long the region keeps serving while readiness already answers 503, so the edge
    /// and orchestrators stop sending traffic before the listener closes.
    public var drainGrace: Duration
    /// After the drain, how long the rest of a stop may take (in-flight requests, background services, the
    /// pool) before the process names what did not stop and exits non-zero.
    public var stopTimeout: Duration
    public var logLevel: Logger.Level
    /// One successful request in this many gets an access log line; failed and slow ones always do.
    public var accessLogSampleOneIn: Int
    /// What one client may ask of the HTTP server: connections, deadlines, sizes.
    public var httpLimits: HTTPLimits
    /// Per-client token buckets on cart creation, cart writes and checkout; empty when turned off.
    public var rateLimits: [RateLimitPolicy]
    /// The edge's addresses: only a connection from one of them may name the client in `X-Forwarded-For`.
    public var trustedProxies: Set<String>
    /// Who may read the health model's details and the metrics.
    public var observers: ObserverAccess
    /// Lets `serve` start with development secrets (the built-in cursor secret, short tokens).
    public var development: Bool
    /// Which requests are traced and kept (`/debug/traces`), and whose `traceparent` is continued.
    public var tracing: TracingSettings
    /// The OTLP/HTTP collector kept spans are sent to (`<endpoint>/v1/traces`, JSON); none: kept in the
    /// region only.
    public var otlpEndpoint: String?
    /// Kept spans that may wait for the collector; more are dropped and counted.
    public var otlpQueueSpans: Int
    /// How long the collector may take to take a batch before it is dropped.
    public var otlpTimeout: Duration

    public struct PeerAPI: Sendable, Equatable {
        public var region: Region
        /// Base URL of the peer's API, such as `http://127.0.0.12:8082`.
        public var url: String
    }

    static func peers(_ text: String, region: Region) throws(StorefrontError) -> [PeerAPI] {
        var peers: [PeerAPI] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = entry.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let url = URL(string: parts[1]), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw .invalidConfiguration("STOREFRONT_PEERS: '\(entry)' is not name=http://host:port")
            }
            let peer = try Region(parts[0])
            guard peer != region, !peers.contains(where: { $0.region == peer }) else {
                throw .invalidConfiguration("STOREFRONT_PEERS: \(peer) is this region or listed twice")
            }
            peers.append(PeerAPI(region: peer, url: parts[1].hasSuffix("/") ? String(parts[1].dropLast()) : parts[1]))
        }
        return peers
    }

    static let developmentCursorSecret = "storefront-development-cursor-secret"

    /// Every setting read through its declaration in `Settings`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(StorefrontError) {
        func read<Value>(_ setting: Setting<Value>) throws(StorefrontError) -> Value { try setting.value(in: environment) }

        region = try Region(try read(Settings.region))
        catalogHome = try read(Settings.catalogHome).map { name throws(StorefrontError) in try Region(name) } ?? region
        host = try read(Settings.host)
        port = try read(Settings.port)
        agentPort = try read(Settings.agentPort)
        databaseURL = try DatabaseURL(try read(Settings.databaseURL))
        migrationDatabaseURL = try read(Settings.migrationDatabaseURL).map { text throws(StorefrontError) in try DatabaseURL(text) } ?? databaseURL
        appRole = try read(Settings.appRole)
        migrate = try read(Settings.migrate)
        allowUnlimitedSlotWAL = try read(Settings.allowUnlimitedSlotWAL)
        maxDatabaseConnections = try read(Settings.maxDatabaseConnections)
        let keepAlive = try read(Settings.databaseKeepAliveSeconds)
        databaseKeepAlive = keepAlive == 0 ? nil : .seconds(keepAlive)
        databaseIdleTimeout = .seconds(try read(Settings.databaseIdleTimeoutSeconds))
        admissionWait = .milliseconds(try read(Settings.admissionWaitMilliseconds))
        statementTimeoutMilliseconds = try read(Settings.statementTimeoutMilliseconds)
        lockTimeoutMilliseconds = try read(Settings.lockTimeoutMilliseconds) ?? statementTimeoutMilliseconds
        guard lockTimeoutMilliseconds <= statementTimeoutMilliseconds else {
            throw .invalidConfiguration(
                "\(Settings.lockTimeoutMilliseconds.name) must be at most the statement timeout (\(statementTimeoutMilliseconds))"
            )
        }
        cursorSecret = try read(Settings.cursorSecret) ?? Self.developmentCursorSecret
        adminToken = try read(Settings.adminToken)
        if let adminToken, adminToken.utf8.count < 16 {
            throw .invalidConfiguration("\(Settings.adminToken.name) must be at least 16 characters")
        }
        cartLifetime = .seconds(try read(Settings.cartLifetimeSeconds))
        synchronousCartCommits = try read(Settings.cartCommit) == "sync"
        catalogRefreshInterval = .milliseconds(try read(Settings.catalogRefreshMilliseconds))
        catalogCacheProducts = try read(Settings.catalogCacheProducts)
        probeInterval = .milliseconds(try read(Settings.probeIntervalMilliseconds))
        purgeInterval = .seconds(try read(Settings.purgeIntervalSeconds))
        reconcileInterval = .milliseconds(try read(Settings.reconcileIntervalMilliseconds))
        peers = try Self.peers(try read(Settings.peers) ?? "", region: region)
        if let (one, other) = Region.tagCollision(among: [region] + peers.map(\.region)) {
            throw .invalidConfiguration("regions \(one) and \(other) share an id tag (two bytes of their names' SHA-256): rename one")
        }
        peerSecret = try read(Settings.peerSecret)
        if let peerSecret, peerSecret.utf8.count < 16 {
            throw .invalidConfiguration("\(Settings.peerSecret.name) must be at least 16 characters")
        }
        healthThresholds = HealthThresholds()
        if let overrides = try read(Settings.healthThresholds), let problem = healthThresholds.apply(overrides) {
            throw .invalidConfiguration("\(Settings.healthThresholds.name): \(problem)")
        }
        drainGrace = .milliseconds(try read(Settings.drainGraceMilliseconds))
        stopTimeout = .milliseconds(try read(Settings.stopTimeoutMilliseconds))
        // A choice among Logger.Level's own names.
        logLevel = Logger.Level(rawValue: try read(Settings.logLevel)) ?? .info
        accessLogSampleOneIn = try read(Settings.accessLogSample)
        var limits = HTTPLimits()
        limits.maxConnections = try read(Settings.maxConnections)
        limits.headerTimeout = .milliseconds(try read(Settings.headerTimeoutMilliseconds))
        limits.bodyTimeout = .milliseconds(try read(Settings.bodyTimeoutMilliseconds))
        limits.requestTimeout = .milliseconds(try read(Settings.requestTimeoutMilliseconds))
        limits.idleTimeout = .milliseconds(try read(Settings.idleTimeoutMilliseconds))
        limits.maxHeaderBytes = try read(Settings.maxHeaderBytes)
        limits.maxHeaderCount = try read(Settings.maxHeaders)
        limits.maxURLBytes = try read(Settings.maxURLBytes)
        limits.maxQueryParameters = try read(Settings.maxQueryParameters)
        limits.maxBodyBytes = try read(Settings.maxBodyBytes)
        limits.maxJSONDepth = try read(Settings.maxJSONDepth)
        httpLimits = limits
        rateLimits = try read(Settings.rateLimits)
        trustedProxies = try read(Settings.trustedProxies)
        observers = ObserverAccess(detailsArePublic: try read(Settings.healthDetails) == "public", token: try read(Settings.observerToken))
        development = try read(Settings.development)
        tracing = TracingSettings(
            enabled: try read(Settings.tracing),
            sampleRatio: try read(Settings.traceSample),
            slow: .milliseconds(try read(Settings.traceSlowMilliseconds)),
            // A choice among ParentPolicy's own names.
            parentPolicy: TracingSettings.ParentPolicy(rawValue: try read(Settings.traceParent)) ?? .trusted
        )
        otlpEndpoint = try read(Settings.otlpEndpoint)
        otlpQueueSpans = try read(Settings.otlpQueueSpans)
        otlpTimeout = .milliseconds(try read(Settings.otlpTimeoutMilliseconds))
    }

    /// Why `serve` must not start with this configuration: secrets anyone could know or guess. Empty in
    /// development.
    public var unfitToServe: [String] {
        guard !development else { return [] }
        var refusals: [String] = []
        if cursorSecret == Self.developmentCursorSecret {
            refusals.append("STOREFRONT_CURSOR_SECRET is not set: cursors would be signed with a secret published in the source")
        } else if cursorSecret.utf8.count < Self.minimumSecretLength {
            refusals.append("STOREFRONT_CURSOR_SECRET is shorter than \(Self.minimumSecretLength) characters")
        }
        if let adminToken, adminToken.utf8.count < Self.minimumSecretLength {
            refusals.append("STOREFRONT_ADMIN_TOKEN is shorter than \(Self.minimumSecretLength) characters")
        }
        if let token = observers.token, token.utf8.count < Self.minimumSecretLength {
            refusals.append("STOREFRONT_OBSERVER_TOKEN is shorter than \(Self.minimumSecretLength) characters")
        }
        if let peerSecret, peerSecret.utf8.count < Self.minimumSecretLength {
            refusals.append("STOREFRONT_PEER_SECRET is shorter than \(Self.minimumSecretLength) characters")
        }
        return refusals
    }

    static let minimumSecretLength = 32
}
