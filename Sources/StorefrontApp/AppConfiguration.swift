import Foundation
import Logging
import StorefrontCore
import StorefrontHTTP
import StorefrontHealth
import StorefrontPostgres
import StorefrontTracing

/// Everything `storefront serve` needs, read from `STOREFRONT_*` environment variables; flags override.
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

    public static let variables: [(name: String, default: String, meaning: String)] = [
        ("STOREFRONT_REGION", "us-east", "this region's name (a-z, 0-9, dashes)"),
        ("STOREFRONT_CATALOG_HOME", "this region", "the region that owns (writes) the catalog"),
        ("STOREFRONT_HOST", "127.0.0.1", "address to listen on"),
        ("STOREFRONT_PORT", "8080", "port to listen on"),
        ("STOREFRONT_AGENT_PORT", "0 (off)", "port of the HAProxy agent that gives the edge this region's weight per flow, on the same host"),
        ("STOREFRONT_DATABASE_URL", "postgres://storefront@127.0.0.1:5432/storefront", "the serving role's connection (no DDL)"),
        ("STOREFRONT_MIGRATION_DATABASE_URL", "the database URL", "the schema owner's connection, used to migrate"),
        ("STOREFRONT_APP_ROLE", "storefront", "role granted row access by migrations"),
        ("STOREFRONT_MIGRATE", "true", "apply pending migrations at start-up (false: refuse to start if any are pending)"),
        (
            "STOREFRONT_ALLOW_UNLIMITED_SLOT_WAL", "false",
            "start even when the database's max_slot_wal_keep_size is unlimited (a dead peer's slot could fill its disk)"
        ),
        ("STOREFRONT_DB_MAX_CONNECTIONS", "20", "connection pool size"),
        (
            "STOREFRONT_DB_KEEPALIVE_S", "0 (off)",
            "seconds between keep-alive queries on idle pooled connections, where a NAT or proxy cuts idle connections; on, every return of a connection arms a timer"
        ),
        (
            "STOREFRONT_DB_IDLE_TIMEOUT_S", "10",
            "seconds a pooled connection may stay unused before it closes; every return of a connection arms a timer of this length whose memory stays held until it would fire (docs/memory.md)"
        ),
        (
            "STOREFRONT_ADMISSION_WAIT_MS", "1000",
            "how long a request may wait for room in its class of work (database reads: half the pool at once, carts and checkouts a quarter each, at most 256 waiting per class) before a fast 503 overloaded with Retry-After"
        ),
        ("STOREFRONT_DB_STATEMENT_TIMEOUT_MS", "5000", "longest a statement may take; idle transactions end after twice that"),
        ("STOREFRONT_DB_LOCK_TIMEOUT_MS", "the statement timeout", "longest a statement may wait for a lock (then 503 with Retry-After)"),
        (
            "STOREFRONT_CURSOR_SECRET", "none (serve refuses to start)",
            "key that signs pagination cursors, at least 32 characters; the same in every region"
        ),
        ("STOREFRONT_ADMIN_TOKEN", "none (admin calls refused)", "bearer token for admin calls, at least 32 characters"),
        ("STOREFRONT_CART_TTL_SECONDS", "604800 (7 days)", "how long a cart lives without a change"),
        (
            "STOREFRONT_CART_COMMIT", "async",
            "sync: a cart change is acknowledged once its commit is flushed; async: a database crash may lose the last moment of cart edits, never an order or a stock change (docs/durability.md)"
        ),
        ("STOREFRONT_CATALOG_REFRESH_MS", "1000", "how often the in-memory catalog and its stock are refreshed"),
        (
            "STOREFRONT_CATALOG_CACHE_PRODUCTS", "5000",
            "products held in memory at most, with their stock and encoded pages; the rest are read from the database on first use"
        ),
        ("STOREFRONT_PROBE_INTERVAL_MS", "1000", "how often every health signal is sampled; a sample older than three intervals counts as failed"),
        (
            "STOREFRONT_PURGE_INTERVAL_S", "300",
            "how often this region deletes its own rows past retention: abandoned carts, old idempotency keys, received transfers (docs/data-retention.md)"
        ),
        (
            "STOREFRONT_RECONCILE_INTERVAL_MS", "5000",
            "how often this region looks for a checkout that became orders in two regions and supersedes its own later one"
        ),
        ("STOREFRONT_PEERS", "none", "the other regions as name=url pairs, comma-separated: their replication and /health/live are watched"),
        (
            "STOREFRONT_PEER_SECRET", "none (no forwarding: a region adopts every foreign cart it is asked about)",
            "shared by every region, at least 32 characters: authenticates a request forwarded to the region that owns its cart or order"
        ),
        ("STOREFRONT_HEALTH_THRESHOLDS", "see docs/health.md", "overrides such as db_read_ms=100:500,hysteresis=2:3 (degraded:unhealthy)"),
        ("STOREFRONT_DRAIN_GRACE_MS", "5000", "after SIGTERM, how long to keep serving with readiness at 503 before closing the listener"),
        (
            "STOREFRONT_STOP_TIMEOUT_MS", "10000",
            "after the drain, how long the rest of a stop may take; past it the process logs what did not stop and exits 70"
        ),
        ("STOREFRONT_LOG_LEVEL", "info", "trace, debug, info, notice, warning, error, critical"),
        (
            "STOREFRONT_ACCESS_LOG_SAMPLE", "100",
            "one successful request in this many gets an access log line (1: all, 0: none); failed and slow (500 ms) requests always do"
        ),
        ("STOREFRONT_MAX_CONNECTIONS", "4096", "open HTTP connections at most; one more is closed as soon as it is accepted"),
        ("STOREFRONT_HEADER_TIMEOUT_MS", "10000", "a new connection's first request head must arrive within this (slow clients are closed)"),
        ("STOREFRONT_BODY_TIMEOUT_MS", "10000", "a request's body must arrive within this of its head"),
        (
            "STOREFRONT_REQUEST_TIMEOUT_MS", "15000",
            "a cart, order or admin request's work, every wait together, must end within this (then it is cancelled: 503, outcome-unknown for a change)"
        ),
        ("STOREFRONT_IDLE_TIMEOUT_MS", "30000", "a kept-alive connection's next request head must arrive within this of the last response"),
        ("STOREFRONT_MAX_HEADER_BYTES", "16384", "all of a request's header lines together (431 beyond)"),
        ("STOREFRONT_MAX_HEADERS", "64", "header lines per request (431 beyond)"),
        ("STOREFRONT_MAX_URL_BYTES", "4096", "the request target, path and query (414 beyond)"),
        ("STOREFRONT_MAX_QUERY_PARAMETERS", "32", "query parameters per request (400 beyond)"),
        ("STOREFRONT_MAX_BODY_BYTES", "65536", "a request body (413 beyond)"),
        ("STOREFRONT_MAX_JSON_DEPTH", "16", "how deeply a request body's arrays and objects may nest (400 beyond)"),
        (
            "STOREFRONT_RATE_LIMITS", RateLimitPolicy.defaults.map(\.description).joined(separator: ","),
            "per-client token buckets, name=requests/seconds (cart_create, cart_write, checkout), or off; beyond them 429 with Retry-After and RateLimit headers"
        ),
        (
            "STOREFRONT_TRUSTED_PROXIES", "none",
            "addresses of the edge, comma-separated: only a connection from one of them may name the client in X-Forwarded-For"
        ),
        (
            "STOREFRONT_HEALTH_DETAILS", "token",
            "who reads /health's reasons and figures and /metrics: token (only with the observer token; others get statuses and 401) or public"
        ),
        (
            "STOREFRONT_OBSERVER_TOKEN", "none",
            "bearer token for /health's details and /metrics (give it to Prometheus and operators), at least 32 characters"
        ),
        ("STOREFRONT_DEVELOPMENT", "false", "let serve start with the built-in cursor secret and tokens shorter than 32 characters"),
        ("STOREFRONT_TRACING", "true", "trace requests (false: no span, no trace header read or written)"),
        (
            "STOREFRONT_TRACE_SAMPLE", "0.01",
            "share of new traces recorded and exported, 0 to 1; a caller's sampled flag is followed, and every failed or slow request is kept"
        ),
        ("STOREFRONT_TRACE_SLOW_MS", "500", "a request slower than this is kept whatever the sampling"),
        (
            "STOREFRONT_TRACE_PARENT", "trusted",
            "whose traceparent is continued: trusted (the trusted proxies' and other regions'), always, or never (a new trace each request)"
        ),
        (
            "STOREFRONT_OTLP_ENDPOINT", "none",
            "OTLP/HTTP collector base URL (spans go to <url>/v1/traces as JSON); none keeps them in /debug/traces only"
        ),
        (
            "STOREFRONT_OTLP_QUEUE_SPANS", "4096",
            "kept spans that may wait for the collector; more are dropped (storefront_trace_spans_dropped_total)"
        ),
        ("STOREFRONT_OTLP_TIMEOUT_MS", "2000", "how long the collector may take to take a batch; then the batch is dropped and counted"),
    ]

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

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(StorefrontError) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(StorefrontError) -> Int {
            guard let text = value(name) else { return fallback }
            guard let number = Int(text), range.contains(number) else {
                throw .invalidConfiguration("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return number
        }
        func boolean(_ name: String, default fallback: Bool) throws(StorefrontError) -> Bool {
            guard let text = value(name) else { return fallback }
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw .invalidConfiguration("\(name) must be true or false")
            }
        }

        region = try Region(value("STOREFRONT_REGION") ?? "us-east")
        catalogHome = try value("STOREFRONT_CATALOG_HOME").map { name throws(StorefrontError) in try Region(name) } ?? region
        host = value("STOREFRONT_HOST") ?? "127.0.0.1"
        port = try integer("STOREFRONT_PORT", default: 8080, range: 0...65535)
        agentPort = try integer("STOREFRONT_AGENT_PORT", default: 0, range: 0...65535)
        databaseURL = try DatabaseURL(value("STOREFRONT_DATABASE_URL") ?? "postgres://storefront@127.0.0.1:5432/storefront")
        migrationDatabaseURL =
            try value("STOREFRONT_MIGRATION_DATABASE_URL").map { text throws(StorefrontError) in try DatabaseURL(text) } ?? databaseURL
        appRole = value("STOREFRONT_APP_ROLE") ?? "storefront"
        migrate = try boolean("STOREFRONT_MIGRATE", default: true)
        allowUnlimitedSlotWAL = try boolean("STOREFRONT_ALLOW_UNLIMITED_SLOT_WAL", default: false)
        maxDatabaseConnections = try integer("STOREFRONT_DB_MAX_CONNECTIONS", default: 20, range: 1...500)
        let keepAlive = try integer("STOREFRONT_DB_KEEPALIVE_S", default: 0, range: 0...86_400)
        databaseKeepAlive = keepAlive == 0 ? nil : .seconds(keepAlive)
        databaseIdleTimeout = .seconds(try integer("STOREFRONT_DB_IDLE_TIMEOUT_S", default: 10, range: 1...3600))
        admissionWait = .milliseconds(try integer("STOREFRONT_ADMISSION_WAIT_MS", default: 1000, range: 0...60_000))
        statementTimeoutMilliseconds = try integer("STOREFRONT_DB_STATEMENT_TIMEOUT_MS", default: 5000, range: 100...600_000)
        lockTimeoutMilliseconds = try integer(
            "STOREFRONT_DB_LOCK_TIMEOUT_MS",
            default: statementTimeoutMilliseconds,
            range: 1...statementTimeoutMilliseconds
        )
        cursorSecret = value("STOREFRONT_CURSOR_SECRET") ?? Self.developmentCursorSecret
        adminToken = value("STOREFRONT_ADMIN_TOKEN")
        if let adminToken, adminToken.utf8.count < 16 {
            throw .invalidConfiguration("STOREFRONT_ADMIN_TOKEN must be at least 16 characters")
        }
        cartLifetime = .seconds(try integer("STOREFRONT_CART_TTL_SECONDS", default: 604_800, range: 1...31_536_000))
        switch value("STOREFRONT_CART_COMMIT") ?? "async" {
        case "sync": synchronousCartCommits = true
        case "async": synchronousCartCommits = false
        default: throw .invalidConfiguration("STOREFRONT_CART_COMMIT must be sync or async")
        }
        catalogRefreshInterval = .milliseconds(try integer("STOREFRONT_CATALOG_REFRESH_MS", default: 1000, range: 50...60_000))
        catalogCacheProducts = try integer("STOREFRONT_CATALOG_CACHE_PRODUCTS", default: 5000, range: 2...1_000_000)
        probeInterval = .milliseconds(try integer("STOREFRONT_PROBE_INTERVAL_MS", default: 1000, range: 50...60_000))
        purgeInterval = .seconds(try integer("STOREFRONT_PURGE_INTERVAL_S", default: 300, range: 1...86_400))
        reconcileInterval = .milliseconds(try integer("STOREFRONT_RECONCILE_INTERVAL_MS", default: 5000, range: 50...3_600_000))
        peers = try Self.peers(value("STOREFRONT_PEERS") ?? "", region: region)
        if let (one, other) = Region.tagCollision(among: [region] + peers.map(\.region)) {
            throw .invalidConfiguration("regions \(one) and \(other) share an id tag (two bytes of their names' SHA-256): rename one")
        }
        peerSecret = value("STOREFRONT_PEER_SECRET")
        if let peerSecret, peerSecret.utf8.count < 16 {
            throw .invalidConfiguration("STOREFRONT_PEER_SECRET must be at least 16 characters")
        }
        healthThresholds = HealthThresholds()
        if let overrides = value("STOREFRONT_HEALTH_THRESHOLDS"), let problem = healthThresholds.apply(overrides) {
            throw .invalidConfiguration("STOREFRONT_HEALTH_THRESHOLDS: \(problem)")
        }
        drainGrace = .milliseconds(try integer("STOREFRONT_DRAIN_GRACE_MS", default: 5000, range: 0...300_000))
        stopTimeout = .milliseconds(try integer("STOREFRONT_STOP_TIMEOUT_MS", default: 10_000, range: 100...300_000))
        let level = value("STOREFRONT_LOG_LEVEL") ?? "info"
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw .invalidConfiguration("STOREFRONT_LOG_LEVEL must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.logLevel = logLevel
        accessLogSampleOneIn = try integer("STOREFRONT_ACCESS_LOG_SAMPLE", default: 100, range: 0...1_000_000)
        var limits = HTTPLimits()
        limits.maxConnections = try integer("STOREFRONT_MAX_CONNECTIONS", default: limits.maxConnections, range: 1...1_000_000)
        limits.headerTimeout = .milliseconds(try integer("STOREFRONT_HEADER_TIMEOUT_MS", default: 10_000, range: 100...600_000))
        limits.bodyTimeout = .milliseconds(try integer("STOREFRONT_BODY_TIMEOUT_MS", default: 10_000, range: 100...600_000))
        limits.requestTimeout = .milliseconds(try integer("STOREFRONT_REQUEST_TIMEOUT_MS", default: 15_000, range: 100...600_000))
        limits.idleTimeout = .milliseconds(try integer("STOREFRONT_IDLE_TIMEOUT_MS", default: 30_000, range: 100...3_600_000))
        limits.maxHeaderBytes = try integer("STOREFRONT_MAX_HEADER_BYTES", default: limits.maxHeaderBytes, range: 1024...1_048_576)
        limits.maxHeaderCount = try integer("STOREFRONT_MAX_HEADERS", default: limits.maxHeaderCount, range: 8...10_000)
        limits.maxURLBytes = try integer("STOREFRONT_MAX_URL_BYTES", default: limits.maxURLBytes, range: 256...1_048_576)
        limits.maxQueryParameters = try integer("STOREFRONT_MAX_QUERY_PARAMETERS", default: limits.maxQueryParameters, range: 1...10_000)
        limits.maxBodyBytes = try integer("STOREFRONT_MAX_BODY_BYTES", default: limits.maxBodyBytes, range: 1024...16_777_216)
        limits.maxJSONDepth = try integer("STOREFRONT_MAX_JSON_DEPTH", default: limits.maxJSONDepth, range: 2...512)
        httpLimits = limits
        rateLimits = try RateLimitPolicy.parse(value("STOREFRONT_RATE_LIMITS"))
        trustedProxies = Set((value("STOREFRONT_TRUSTED_PROXIES") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let details = value("STOREFRONT_HEALTH_DETAILS") ?? "token"
        guard ["token", "public"].contains(details) else { throw .invalidConfiguration("STOREFRONT_HEALTH_DETAILS must be token or public") }
        observers = ObserverAccess(detailsArePublic: details == "public", token: value("STOREFRONT_OBSERVER_TOKEN"))
        development = try boolean("STOREFRONT_DEVELOPMENT", default: false)
        let sample = value("STOREFRONT_TRACE_SAMPLE") ?? "0.01"
        guard let ratio = Double(sample), (0...1).contains(ratio) else {
            throw .invalidConfiguration("STOREFRONT_TRACE_SAMPLE must be a number from 0 to 1")
        }
        guard let parentPolicy = TracingSettings.ParentPolicy(rawValue: value("STOREFRONT_TRACE_PARENT") ?? "trusted") else {
            throw .invalidConfiguration("STOREFRONT_TRACE_PARENT must be trusted, always or never")
        }
        tracing = TracingSettings(
            enabled: try boolean("STOREFRONT_TRACING", default: true),
            sampleRatio: ratio,
            slow: .milliseconds(try integer("STOREFRONT_TRACE_SLOW_MS", default: 500, range: 1...600_000)),
            parentPolicy: parentPolicy
        )
        otlpEndpoint = try value("STOREFRONT_OTLP_ENDPOINT").map { text throws(StorefrontError) in
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw .invalidConfiguration("STOREFRONT_OTLP_ENDPOINT must be an http or https URL, such as http://127.0.0.1:4318")
            }
            return text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        otlpQueueSpans = try integer("STOREFRONT_OTLP_QUEUE_SPANS", default: 4096, range: 16...1_000_000)
        otlpTimeout = .milliseconds(try integer("STOREFRONT_OTLP_TIMEOUT_MS", default: 2000, range: 100...600_000))
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
