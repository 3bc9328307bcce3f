import Foundation
import Logging
import StorefrontCore
import StorefrontHTTP
import StorefrontTracing

/// Every setting of `storefront serve`, each declared once (`Setting`), in the order the README lists them.
public enum Settings {
    static let limits = HTTPLimits()

    static let region = Setting.text("STOREFRONT_REGION", default: "us-east", "this region's name (a-z, 0-9, dashes)")
    static let catalogHome = Setting.optionalText(
        "STOREFRONT_CATALOG_HOME",
        shown: "this region",
        "the region that owns (writes) the catalog; the others read it from replication"
    )
    static let host = Setting.text("STOREFRONT_HOST", default: "127.0.0.1", "address to listen on")
    static let port = Setting.integer("STOREFRONT_PORT", default: 8080, in: 0...65535, "port to listen on")
    static let agentPort = Setting.integer(
        "STOREFRONT_AGENT_PORT",
        default: 0,
        in: 0...65535,
        shown: "`0` (off)",
        "port of the HAProxy agent that tells the edge this region's weight per flow (100 % healthy, 5 % degraded, `drain` while draining)"
    )
    static let databaseURL = Setting.text(
        "STOREFRONT_DATABASE_URL",
        default: "postgres://storefront@127.0.0.1:5432/storefront",
        "the serving role's connection (row privileges only). TLS: `?sslmode=require` encrypts; `?sslmode=verify-full&sslrootcert=/path/ca.pem` also checks the certificate and host name against that CA (the system's roots without `sslrootcert`)"
    )
    static let migrationDatabaseURL = Setting.optionalText(
        "STOREFRONT_MIGRATION_DATABASE_URL",
        shown: "the database URL",
        "the schema owner's connection, used to migrate"
    )
    static let appRole = Setting.text("STOREFRONT_APP_ROLE", default: "storefront", "role that migrations grant row access to")
    static let migrate = Setting.boolean(
        "STOREFRONT_MIGRATE",
        default: true,
        "apply pending migrations at start-up; `false` refuses to start while any are pending"
    )
    static let allowUnlimitedSlotWAL = Setting.boolean(
        "STOREFRONT_ALLOW_UNLIMITED_SLOT_WAL",
        default: false,
        "start even when the database's `max_slot_wal_keep_size` is unlimited (refused otherwise: a dead peer's replication slot would keep WAL until the disk is full)"
    )
    static let maxDatabaseConnections = Setting.integer("STOREFRONT_DB_MAX_CONNECTIONS", default: 20, in: 1...500, "connection pool size")
    static let databaseKeepAliveSeconds = Setting.integer(
        "STOREFRONT_DB_KEEPALIVE_S",
        default: 0,
        in: 0...86_400,
        shown: "`0` (off)",
        "seconds between keep-alive queries on idle pooled connections, where a NAT or proxy cuts idle connections; on, every return of a connection arms a timer"
    )
    static let databaseIdleTimeoutSeconds = Setting.integer(
        "STOREFRONT_DB_IDLE_TIMEOUT_S",
        default: 10,
        in: 1...3600,
        "seconds a pooled connection may stay unused before it closes; every return of a connection arms a timer of this length whose memory stays held until it would fire ([docs/memory.md](docs/memory.md))"
    )
    static let admissionWaitMilliseconds = Setting.integer(
        "STOREFRONT_ADMISSION_WAIT_MS",
        default: 1000,
        in: 0...60_000,
        "how long a request may wait for room in its class of work (database reads: half the pool at once; carts and checkouts: a quarter each; at most 256 waiting per class) before a fast `503 overloaded` with `Retry-After`"
    )
    static let statementTimeoutMilliseconds = Setting.integer(
        "STOREFRONT_DB_STATEMENT_TIMEOUT_MS",
        default: 5000,
        in: 100...600_000,
        "longest a statement may take; an idle transaction ends after twice that"
    )
    static let lockTimeoutMilliseconds = Setting.optionalInteger(
        "STOREFRONT_DB_LOCK_TIMEOUT_MS",
        in: 1...600_000,
        shown: "the statement timeout",
        "longest a statement may wait for a lock, at most the statement timeout; then `503 unavailable` with `Retry-After`"
    )
    static let cursorSecret = Setting.optionalText(
        "STOREFRONT_CURSOR_SECRET",
        shown: "none: `serve` refuses to start",
        "signs pagination cursors, at least 32 characters; the same in every region"
    )
    static let adminToken = Setting.optionalText(
        "STOREFRONT_ADMIN_TOKEN",
        shown: "none: admin calls refused",
        "bearer token for admin calls (at least 32 characters)"
    )
    static let cartLifetimeSeconds = Setting.integer(
        "STOREFRONT_CART_TTL_SECONDS",
        default: 604_800,
        in: 1...31_536_000,
        shown: "`604800` (7 days)",
        "how long a cart lives without a change"
    )
    static let cartCommit = Setting.choice(
        "STOREFRONT_CART_COMMIT",
        ["async", "sync"],
        "`sync`: a cart change is acknowledged once its commit is flushed; `async`: a database crash may lose the last moment of cart edits, never an order or a stock change ([docs/durability.md](docs/durability.md))"
    )
    static let catalogRefreshMilliseconds = Setting.integer(
        "STOREFRONT_CATALOG_REFRESH_MS",
        default: 1000,
        in: 50...60_000,
        "how often the in-memory catalog and its stock are refreshed"
    )
    static let catalogCacheProducts = Setting.integer(
        "STOREFRONT_CATALOG_CACHE_PRODUCTS",
        default: 5000,
        in: 2...1_000_000,
        "products held in memory at most, with their stock and encoded pages; the rest are read from the database on first use"
    )
    static let probeIntervalMilliseconds = Setting.integer(
        "STOREFRONT_PROBE_INTERVAL_MS",
        default: 1000,
        in: 50...60_000,
        "how often every health signal is sampled; a sample older than three intervals counts as failed"
    )
    static let peers = Setting.optionalText(
        "STOREFRONT_PEERS",
        shown: "none",
        "the other regions as `name=http://host:port` pairs, comma-separated: their replication and `/health/live` are watched, and requests for what they own are forwarded to them"
    )
    static let peerSecret = Setting.optionalText(
        "STOREFRONT_PEER_SECRET",
        shown: "none: no forwarding, every foreign cart is adopted",
        "shared by every region (at least 32 characters): authenticates a request forwarded to the region that owns its cart or order"
    )
    static let reconcileIntervalMilliseconds = Setting.integer(
        "STOREFRONT_RECONCILE_INTERVAL_MS",
        default: 5000,
        in: 50...3_600_000,
        "how often the region looks for a checkout that became orders in two regions and supersedes its own later one"
    )
    static let purgeIntervalSeconds = Setting.integer(
        "STOREFRONT_PURGE_INTERVAL_S",
        default: 300,
        in: 1...86_400,
        "how often the region deletes its own rows past retention (abandoned carts, idempotency keys, received transfers: [docs/data-retention.md](docs/data-retention.md))"
    )
    static let healthThresholds = Setting.optionalText(
        "STOREFRONT_HEALTH_THRESHOLDS",
        shown: "see [docs/health.md](docs/health.md)",
        "overrides such as `db_read_ms=100:500,hysteresis=2:3` (degraded:unhealthy)"
    )
    static let drainGraceMilliseconds = Setting.integer(
        "STOREFRONT_DRAIN_GRACE_MS",
        default: 5000,
        in: 0...300_000,
        "after SIGTERM, how long to keep serving with readiness at 503 before closing the listener"
    )
    static let stopTimeoutMilliseconds = Setting.integer(
        "STOREFRONT_STOP_TIMEOUT_MS",
        default: 10_000,
        in: 100...300_000,
        "after the drain, how long the rest of the stop may take; past it the process logs what did not stop, cancels it, and exits 70"
    )
    static let logLevel = Setting.choice(
        "STOREFRONT_LOG_LEVEL",
        ["info"] + Logger.Level.allCases.map(\.rawValue).filter { $0 != "info" },
        "`trace` … `critical`; logs are JSON lines on standard output"
    )
    static let accessLogSample = Setting.integer(
        "STOREFRONT_ACCESS_LOG_SAMPLE",
        default: 100,
        in: 0...1_000_000,
        "one successful request in this many gets an access log line (1: all, 0: none); failed and slow (500 ms) requests always do"
    )
    static let maxConnections = Setting.integer(
        "STOREFRONT_MAX_CONNECTIONS",
        default: limits.maxConnections,
        in: 1...1_000_000,
        "open HTTP connections at most; one more is closed as soon as it is accepted (`storefront_http_connections_refused_total`)"
    )
    static let headerTimeoutMilliseconds = Setting.integer(
        "STOREFRONT_HEADER_TIMEOUT_MS",
        default: Int(limits.headerTimeout.milliseconds),
        in: 100...600_000,
        "a new connection's first request head must arrive within this; a client trickling its headers is closed (`storefront_http_connections_timed_out_total`)"
    )
    static let bodyTimeoutMilliseconds = Setting.integer(
        "STOREFRONT_BODY_TIMEOUT_MS",
        default: Int(limits.bodyTimeout.milliseconds),
        in: 100...600_000,
        "a request's body must arrive within this of its head"
    )
    static let requestTimeoutMilliseconds = Setting.integer(
        "STOREFRONT_REQUEST_TIMEOUT_MS",
        default: Int(limits.requestTimeout.milliseconds),
        in: 100...600_000,
        "a cart, order or admin request's work, every wait together, must end within this; past it the work is cancelled down to the database and the answer is `503` (`outcome-unknown` for a change: retry with the same `Idempotency-Key`). Catalog reads are from memory or one bounded statement"
    )
    static let idleTimeoutMilliseconds = Setting.integer(
        "STOREFRONT_IDLE_TIMEOUT_MS",
        default: Int(limits.idleTimeout.milliseconds),
        in: 100...3_600_000,
        "a kept-alive connection's next request head must arrive within this of the last response"
    )
    static let maxHeaderBytes = Setting.integer(
        "STOREFRONT_MAX_HEADER_BYTES",
        default: limits.maxHeaderBytes,
        in: 1024...1_048_576,
        "a request's header lines together (`431`, then the connection closes)"
    )
    static let maxHeaders = Setting.integer(
        "STOREFRONT_MAX_HEADERS",
        default: limits.maxHeaderCount,
        in: 8...10_000,
        "header lines per request (`431`, then the connection closes)"
    )
    static let maxURLBytes = Setting.integer(
        "STOREFRONT_MAX_URL_BYTES",
        default: limits.maxURLBytes,
        in: 256...1_048_576,
        "the request target, path and query (`414`)"
    )
    static let maxQueryParameters = Setting.integer(
        "STOREFRONT_MAX_QUERY_PARAMETERS",
        default: limits.maxQueryParameters,
        in: 1...10_000,
        "query parameters per request (`400`); an answer lists at most 10 field errors"
    )
    static let maxBodyBytes = Setting.integer(
        "STOREFRONT_MAX_BODY_BYTES",
        default: limits.maxBodyBytes,
        in: 1024...16_777_216,
        "a request body (`413`)"
    )
    static let maxJSONDepth = Setting.integer(
        "STOREFRONT_MAX_JSON_DEPTH",
        default: limits.maxJSONDepth,
        in: 2...512,
        "how deeply a request body's JSON may nest (`400`, checked before decoding)"
    )
    static let rateLimits = Setting<[RateLimitPolicy]>(
        "STOREFRONT_RATE_LIMITS",
        shown: "`\(RateLimitPolicy.defaults.map(\.description).joined(separator: ","))`",
        "per-client token buckets (`name=requests/seconds`, or `off`): beyond them `429` with `Retry-After`, `RateLimit` and `RateLimit-Policy`; reads are never limited. Kept per instance: the limit a client meets across a region's instances is the edge's (`storefront edge config --rate-limits`, the same syntax). The lab turns both off: its rehearsal shoppers share one address"
    ) { text, _ throws(StorefrontError) in try RateLimitPolicy.parse(text) }
    static let trustedProxies = Setting<Set<String>>(
        "STOREFRONT_TRUSTED_PROXIES",
        shown: "none",
        "the edge's addresses, comma-separated: only a connection from one of them may name the client in `X-Forwarded-For` (the last address it added counts; anything before it the client could have written)"
    ) { text, _ in Set((text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
    static let healthDetails = Setting.choice(
        "STOREFRONT_HEALTH_DETAILS",
        ["token", "public"],
        "who reads `/health`'s reasons and figures (error kinds, peer names, pool sizes, lag) and `/metrics`: `token` (the observer token; everyone else gets statuses, and `401` from `/metrics`) or `public` (a closed network). The probes are always public"
    )
    static let observerToken = Setting.optionalText(
        "STOREFRONT_OBSERVER_TOKEN",
        shown: "none",
        "bearer token (at least 32 characters) for Prometheus and operators: `/metrics` and `/health`'s details; `storefront health` sends it from this variable. The lab writes one to `.lab/observer-token`"
    )
    static let development = Setting.boolean(
        "STOREFRONT_DEVELOPMENT",
        default: false,
        "let `serve` start with the built-in cursor secret and secrets under 32 characters (`serve --development`); without it `serve` refuses, naming each one"
    )
    static let tracing = Setting.boolean(
        "STOREFRONT_TRACING",
        default: true,
        "trace requests ([docs/tracing.md](docs/tracing.md)); `false`: no span is made and no trace header read or written"
    )
    static let traceSample = Setting<Double>(
        "STOREFRONT_TRACE_SAMPLE",
        shown: "`0.01`",
        "share of new traces recorded and exported (0 to 1); a trusted caller's sampled flag is followed, and every failed or slow request is kept whatever the sampling"
    ) { text, name throws(StorefrontError) in
        guard let text else { return 0.01 }
        guard let ratio = Double(text), (0...1).contains(ratio) else { throw .invalidConfiguration("\(name) must be a number from 0 to 1") }
        return ratio
    }
    static let traceSlowMilliseconds = Setting.integer(
        "STOREFRONT_TRACE_SLOW_MS",
        default: 500,
        in: 1...600_000,
        "a request slower than this is kept"
    )
    static let traceParent = Setting.choice(
        "STOREFRONT_TRACE_PARENT",
        TracingSettings.ParentPolicy.allCases.map(\.rawValue),
        "whose `traceparent` is continued: `trusted` (a trusted proxy's, another region's with the peer secret), `always`, or `never`"
    )
    static let otlpEndpoint = Setting<String?>(
        "STOREFRONT_OTLP_ENDPOINT",
        shown: "none",
        "an OTLP/HTTP collector's base URL: kept spans go to `<url>/v1/traces` in OTLP's JSON encoding; none keeps them in `/debug/traces` only"
    ) { text, name throws(StorefrontError) in
        guard let text else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw .invalidConfiguration("\(name) must be an http or https URL, such as http://127.0.0.1:4318")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
    static let otlpTimeoutMilliseconds = Setting.integer(
        "STOREFRONT_OTLP_TIMEOUT_MS",
        default: 2000,
        in: 100...600_000,
        "how long the collector may take to take a batch of spans; then the batch is dropped and counted (`reason=\"export_failed\"`)"
    )
    static let otlpQueueSpans = Setting.integer(
        "STOREFRONT_OTLP_QUEUE_SPANS",
        default: 4096,
        in: 16...1_000_000,
        "kept spans that may wait for the collector; more are dropped and counted in `storefront_trace_spans_dropped_total{reason=\"queue_full\"}`"
    )

    /// Every setting, in the README's order.
    public static let all: [SettingDescription] = [
        region.described, catalogHome.described, host.described, port.described, agentPort.described, databaseURL.described,
        migrationDatabaseURL.described, appRole.described, migrate.described, allowUnlimitedSlotWAL.described,
        maxDatabaseConnections.described, databaseKeepAliveSeconds.described, databaseIdleTimeoutSeconds.described,
        admissionWaitMilliseconds.described, statementTimeoutMilliseconds.described, lockTimeoutMilliseconds.described,
        cursorSecret.described, adminToken.described, cartLifetimeSeconds.described, cartCommit.described,
        catalogRefreshMilliseconds.described, catalogCacheProducts.described, probeIntervalMilliseconds.described, peers.described,
        peerSecret.described, reconcileIntervalMilliseconds.described, purgeIntervalSeconds.described, healthThresholds.described,
        drainGraceMilliseconds.described, stopTimeoutMilliseconds.described, logLevel.described, accessLogSample.described,
        maxConnections.described, headerTimeoutMilliseconds.described, bodyTimeoutMilliseconds.described,
        requestTimeoutMilliseconds.described, idleTimeoutMilliseconds.described, maxHeaderBytes.described, maxHeaders.described,
        maxURLBytes.described, maxQueryParameters.described, maxBodyBytes.described, maxJSONDepth.described, rateLimits.described,
        trustedProxies.described, healthDetails.described, observerToken.described, development.described, tracing.described,
        traceSample.described, traceSlowMilliseconds.described, traceParent.described, otlpEndpoint.described,
        otlpTimeoutMilliseconds.described, otlpQueueSpans.described,
    ]

    /// The README's table of them.
    public static var markdownTable: String {
        (["| variable | default | meaning |", "|---|---|---|"] + all.map(\.markdownRow)).joined(separator: "\n")
    }
}
