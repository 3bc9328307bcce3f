import AsyncHTTPClient
import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import StorefrontCore
import StorefrontHTTP
import StorefrontHealth
import StorefrontPostgres
import StorefrontTracing
import UnixSignals

/// One region's storefront: the router that answers shoppers and probes, and the background services it
/// needs, each tracked by `lifecycle`, in one service group (`serviceGroup`): `storefront serve` runs it with
/// the HTTP server, tests beside an in-process client.
public struct RegionRuntime {
    public let configuration: AppConfiguration
    public let router: Router<AppRequestContext>
    /// What is answered from memory before the router (`MemoryReadHandler`).
    let memoryReads: MemoryReads
    /// Which flow each shopper route belongs to, as the routes were registered.
    public let routes: FlowRoutes
    /// In start order: the pool first. A service group stops them in reverse, so the pool stops last and
    /// everything that uses it can still finish.
    let services: [ServiceGroupConfiguration.ServiceConfiguration]
    public let health: HealthMonitor
    public let lifecycle: Lifecycle
    public let logger: Logger
    /// Counts the server's connections against `HTTPLimits.maxConnections`.
    let connections: ConnectionGuard.Census

    /// The HTTP server over the router, with no services of its own.
    public func application() -> some ApplicationProtocol {
        let limits = configuration.httpLimits
        let connections = connections
        let memoryReads = memoryReads
        return Application(
            router: router,
            // The guard closes connections that are one too many or too slow; the decoder refuses big headers.
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [ConnectionGuard(census: connections), MemoryReadHandler(reads: memoryReads)],
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: limits.maxHeaderBytes,
                        maxHeaderListSize: limits.maxHeaderBytes,
                        maxHeaderFieldCount: limits.maxHeaderCount
                    )
                )
            ),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: Self.serverName),
            logger: logger
        )
    }

    /// The region's service group, as `storefront serve` runs it and the tests do. In start order: the log
    /// writer (it stops last, and writes every other service's last lines), the background services, the HTTP
    /// `server` when the group serves (tests answer through HummingbirdTesting's router instead), the drain
    /// before the server stops, and the stop's deadline, the first told to stop. The group stops them in
    /// reverse, bounded by `deadline`; `stopsOnSignals`, on SIGTERM and SIGINT.
    public func serviceGroup(
        server: (any Service)?,
        logWriter: LogWriter?,
        deadline: StopDeadline,
        stopsOnSignals: Bool
    ) -> ServiceGroup {
        var group = logWriter.map { [lifecycle.track($0.flushing, as: "log-writer")] } ?? []
        group += services
        if let server { group.append(lifecycle.track(server, as: "http-server")) }
        group.append(lifecycle.track(DrainOnShutdown(monitor: health, grace: configuration.drainGrace, logger: logger), as: "drain"))
        group.append(.init(service: deadline.armOnShutdown, serviceName: "stop-deadline"))
        var groupConfiguration = ServiceGroupConfiguration(
            services: group,
            gracefulShutdownSignals: stopsOnSignals ? [.sigterm, .sigint] : [],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = gracefulStopBound
        return ServiceGroup(configuration: groupConfiguration)
    }

    /// Bounds a stop: `stopTimeout` after the drain grace, the group escalates to cancellation and
    /// `overran` gets the report; five seconds later `abandoned` must end the process.
    public func stopDeadline(
        overran: @escaping @Sendable (String) -> Void,
        abandoned: @escaping @Sendable (String) -> Never
    ) -> StopDeadline {
        StopDeadline(
            lifecycle: lifecycle,
            soft: gracefulStopBound,
            hard: gracefulStopBound + Self.cancellationBound,
            overran: overran,
            abandoned: abandoned
        )
    }

    /// What every answer names in `Server`.
    static let serverName = "storefront"

    /// The longest a graceful stop may take: the drain, then the stop timeout.
    public var gracefulStopBound: Duration { configuration.drainGrace + configuration.stopTimeout }

    /// How long cancelled services get to end once the graceful stop has overrun.
    public static let cancellationBound = Duration.seconds(5)
}

/// The whole wiring of a region, readable on one screen: the binary and the tests both build it here.
///
/// `health` is passed in when the caller needs it before the region is built, as some tests do.
public func buildRegion(_ configuration: AppConfiguration, health: HealthMonitor? = nil, logger: Logger) throws -> RegionRuntime {
    if configuration.cursorSecret == AppConfiguration.developmentCursorSecret {
        logger.warning("STOREFRONT_CURSOR_SECRET is not set: cursors are signed with a development secret")
    }
    let lifecycle = Lifecycle(logger: logger)
    var databaseConfiguration = configuration.databaseURL.clientConfiguration(maximumConnections: configuration.maxDatabaseConnections)
    // The pool arms a keep-alive timer (and an idle timer) each time a connection comes back, and cancels it
    // when the connection leaves again: measured, the two were a quarter of the storefront's CPU per checkout
    // journey. Keep-alive is off unless configured. The idle timer stays: keeping connections open with
    // `minimumConnections` would avoid it, but PostgresNIO 1.33.2's pool then fails a precondition
    // (PoolStateMachine+ConnectionGroup.swift:163) and crashes the process when a lease arrives while its
    // database is down (ReplicationTests met it).
    databaseConfiguration.options.keepAliveBehavior = configuration.databaseKeepAlive.map { .init(frequency: $0) }
    // The idle timer is a `Task.sleep` that, cancelled when the connection is leased again, keeps its memory
    // until its deadline: with PostgresNIO's 60 s, 4,000 releases a second held 150 MB (docs/memory.md).
    databaseConfiguration.options.connectionIdleTimeout = configuration.databaseIdleTimeout
    // No request may hold a connection, a lock or a transaction without bound: PostgreSQL cancels the statement.
    databaseConfiguration.options.additionalStartupParameters = [
        ("statement_timeout", "\(configuration.statementTimeoutMilliseconds)"),
        ("lock_timeout", "\(configuration.lockTimeoutMilliseconds)"),
        ("idle_in_transaction_session_timeout", "\(configuration.statementTimeoutMilliseconds * 2)"),
        // A query whose client went away (a cancelled request closes its connection) ends within a second.
        ("client_connection_check_interval", "1000"),
        // A shopper's statement reads one page through an index: parallel workers (processes started per
        // query) cost more than they save, and took a filtered listing at 100,000 products from 3 ms to 10 ms.
        ("max_parallel_workers_per_gather", "0"),
    ]
    let pool = PoolWatch()
    let postgres = PostgresClient(configuration: databaseConfiguration, backgroundLogger: pool.watching(logger))
    let health = health ?? HealthMonitor(configuration)
    let catalogStore = PostgresCatalogStore(client: postgres, logger: logger)
    let orderStore = PostgresOrderStore(
        client: postgres,
        region: configuration.region,
        cartLifetime: configuration.cartLifetime,
        logger: logger
    )
    let cursors = CursorCodec(secret: configuration.cursorSecret)
    let stockStore = PostgresStockStore(
        client: postgres,
        region: configuration.region,
        catalogHome: configuration.catalogHome,
        logger: logger
    )
    let metrics = PrometheusCollectorRegistry()
    let catalogCache = CatalogCache(region: configuration.region, capacity: configuration.catalogCacheProducts, registry: metrics)
    let flows = FlowWindows()
    let forwarder = configuration.peerSecret.map { secret in
        PeerHTTPForwarder(
            region: configuration.region,
            peers: configuration.peers,
            secret: secret,
            timeout: .milliseconds(configuration.statementTimeoutMilliseconds * 2)
        )
    }
    if configuration.peerSecret == nil, !configuration.peers.isEmpty {
        logger.warning("STOREFRONT_PEER_SECRET is not set: no request is forwarded to its home region, every foreign cart is adopted")
    }
    let home = HomeForwarder(
        region: configuration.region,
        peers: configuration.peers.map(\.region),
        forwarder: forwarder,
        secret: configuration.peerSecret,
        monitor: health,
        registry: metrics
    )

    // Filled as the router is built: which flow each shopper route belongs to.
    let routes = FlowRoutes()
    let admission = Admission(poolSize: configuration.maxDatabaseConnections, maxWait: configuration.admissionWait, registry: metrics)
    let deadlines = RequestDeadlines(allowance: configuration.httpLimits.requestTimeout)
    let healthController = try HealthController(monitor: health, region: configuration.region, access: configuration.observers, routes: routes)
    let requestMetrics = RequestMetrics(registry: metrics, flows: flows, routes: routes)
    let accessLog = AccessLogSampling(oneIn: configuration.accessLogSampleOneIn)
    let exportQueue = configuration.otlpEndpoint.map { _ in OTLPTraceExporter.queue(capacity: configuration.otlpQueueSpans, registry: metrics) }
    let tracing =
        configuration.tracing.enabled
        ? (
            tracer: StorefrontTracer(settings: configuration.tracing, region: configuration.region.name, export: exportQueue),
            trust: TraceParentTrust(
                policy: configuration.tracing.parentPolicy,
                trustedProxies: configuration.trustedProxies,
                peerSecret: configuration.peerSecret
            )
        ) : nil
    let router = try buildRouter(
        region: configuration.region,
        health: healthController,
        drain: DrainController(
            monitor: health,
            drains: PostgresRegionDrains(client: postgres, region: configuration.region, logger: logger),
            adminToken: configuration.adminToken
        ),
        catalog: CatalogController(store: catalogStore, cache: catalogCache, cursors: cursors, region: configuration.region, admission: admission),
        carts: CartController(
            store: PostgresCartStore(
                client: postgres,
                region: configuration.region,
                idleLifetime: configuration.cartLifetime,
                synchronousCommit: configuration.synchronousCartCommits,
                logger: logger
            ),
            home: home
        ),
        orders: OrderController(store: orderStore, home: home),
        admin: AdminController(
            orders: orderStore,
            stock: stockStore,
            cursors: cursors,
            adminToken: configuration.adminToken
        ),
        contract: try ContractController(),
        requestMetrics: requestMetrics,
        admission: admission,
        accessLog: accessLog,
        limits: configuration.httpLimits,
        deadlines: deadlines,
        rateLimits: RateLimits(policies: configuration.rateLimits, trustedProxies: configuration.trustedProxies),
        observers: configuration.observers,
        tracing: tracing
    )
    let refresher = CatalogRefresher(
        store: catalogStore,
        cache: catalogCache,
        region: configuration.region,
        interval: configuration.catalogRefreshInterval,
        logger: logger
    )
    let session = try RegionSession(
        url: configuration.databaseURL,
        region: configuration.region,
        connectTimeout: max(configuration.probeInterval * 0.8, .milliseconds(500)),
        statementTimeout: configuration.probeInterval,
        logger: logger
    )
    let heardRounds = HeardProbeRounds()
    let proberWake = Wake()
    let prober = HealthProber(
        monitor: health,
        postgres: postgres,
        database: try DatabaseProbe(
            url: configuration.databaseURL,
            region: configuration.region,
            // The probes' own deadline: a database that accepts connections and never answers (frozen) fails
            // a round's connect as soon as it would fail its statements. Never under half a second, which a
            // connection's handshake and authentication can take on loaded cores.
            connectTimeout: max(configuration.probeInterval * 0.8, .milliseconds(500)),
            statementTimeout: configuration.probeInterval,
            logger: logger,
            lost: { proberWake.signal() }
        ),
        session: session,
        rounds: heardRounds,
        instance: "\(configuration.host):\(configuration.port)",
        peers: configuration.peers,
        flows: flows,
        gauges: HealthGauges(registry: metrics, poolSize: configuration.maxDatabaseConnections),
        wake: proberWake,
        logger: logger
    )
    let startup = SchemaAndCatalogService(configuration: configuration, appClient: postgres, refresher: refresher, health: health, logger: logger)
    let transfers = TransferReceiver(stock: stockStore, session: session, interval: configuration.probeInterval, logger: logger)
    let purge = PurgeService(
        purger: DataPurger(client: postgres, region: configuration.region, logger: logger),
        session: session,
        interval: configuration.purgeInterval,
        registry: metrics,
        logger: logger
    )
    let reconcile = ReconcileService(
        reconciler: OrderReconciler(client: postgres, region: configuration.region, logger: logger),
        session: session,
        interval: configuration.reconcileInterval,
        registry: metrics,
        logger: logger
    )
    let sessionService = RegionSessionService(session: session, monitor: health, rounds: heardRounds, logger: logger)
    let trim = AllocatorTrim(interval: .seconds(10), registry: metrics, logger: logger)
    var services = [
        lifecycle.track(postgres, as: "postgres-pool", activity: Activity(describedBy: { "\(pool.description); recent: \(pool.recentEvents)" })),
        // Early, so that it stops late: after the server has finished every request it bounds.
        lifecycle.track(DeadlineReaper(deadlines: deadlines, admission: admission), as: "deadlines"),
        // Before the jobs that hold its leases, so that it closes after them.
        lifecycle.track(sessionService, as: "region-session", activity: sessionService.activity),
        lifecycle.track(prober, as: "health-prober", activity: prober.activity),
        lifecycle.track(startup, as: "startup", activity: startup.activity),
        lifecycle.track(transfers, as: "transfer-receiver", activity: transfers.activity),
        lifecycle.track(purge, as: "purger", activity: purge.activity),
        lifecycle.track(reconcile, as: "reconciler", activity: reconcile.activity),
        lifecycle.track(trim, as: "allocator-trim", activity: trim.activity),
    ]
    if let forwarder { services.append(lifecycle.track(forwarder, as: "forwarder")) }
    if let exportQueue, let endpoint = configuration.otlpEndpoint {
        let exporter = OTLPTraceExporter(
            queue: exportQueue,
            endpoint: endpoint,
            resource: [
                ("service.name", "storefront"), ("cloud.region", configuration.region.name),
                ("service.instance.id", "\(configuration.region.name)@\(configuration.host):\(configuration.port)"),
            ],
            registry: metrics,
            logger: logger,
            timeout: configuration.otlpTimeout
        )
        services.append(lifecycle.track(exporter, as: "otlp-exporter", activity: exporter.activity))
    }
    if configuration.agentPort > 0 {
        services.append(
            lifecycle.track(
                EdgeAgent(monitor: health, host: configuration.host, port: configuration.agentPort, logger: logger),
                as: "edge-agent"
            )
        )
    }
    let memoryReads = MemoryReads(
        health: healthController,
        cache: catalogCache,
        region: configuration.region,
        metrics: requestMetrics,
        accessLog: accessLog,
        logger: logger,
        serverName: RegionRuntime.serverName,
        tracing: tracing
    )
    return RegionRuntime(
        configuration: configuration,
        router: router,
        memoryReads: memoryReads,
        routes: routes,
        services: services,
        health: health,
        lifecycle: lifecycle,
        logger: logger,
        connections: ConnectionGuard.Census(limits: configuration.httpLimits, registry: metrics)
    )
}

extension HealthMonitor {
    /// The region's health model: its peers from the configuration, its thresholds and probe interval.
    public convenience init(_ configuration: AppConfiguration) {
        self.init(
            model: HealthModel(
                region: configuration.region.name,
                catalogHome: configuration.catalogHome.name,
                peers: configuration.peers.map(\.region.name)
            ),
            thresholds: configuration.healthThresholds,
            interval: configuration.probeInterval
        )
    }
}
