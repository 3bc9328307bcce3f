import Hummingbird
import AsyncHTTPClient
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import StorefrontCore
import StorefrontHTTP
import StorefrontHealth
import StorefrontPostgres

/// The whole wiring of a region, readable on one screen: the binary and the tests both build the app here.
///
/// `health` is passed in when the caller needs it too, as `storefront serve` does to drain on SIGTERM.
public func buildApplication(
    _ configuration: AppConfiguration, health: HealthMonitor? = nil, logger: Logger
) throws -> some ApplicationProtocol {
    if configuration.cursorSecret == AppConfiguration.developmentCursorSecret {
        logger.warning("STOREFRONT_CURSOR_SECRET is not set: cursors are signed with a development secret")
    }
    var databaseConfiguration = configuration.databaseURL.clientConfiguration(maximumConnections: configuration.maxDatabaseConnections)
    // No request may hold a connection, a lock or a transaction without bound: PostgreSQL cancels the statement.
    databaseConfiguration.options.additionalStartupParameters = [
        ("statement_timeout", "\(configuration.statementTimeoutMilliseconds)"),
        ("lock_timeout", "\(configuration.lockTimeoutMilliseconds)"),
        ("idle_in_transaction_session_timeout", "\(configuration.statementTimeoutMilliseconds * 2)"),
    ]
    let postgres = PostgresClient(configuration: databaseConfiguration, backgroundLogger: logger)
    let health = health ?? HealthMonitor(configuration)
    let catalog = Catalog()
    let catalogStore = PostgresCatalogStore(client: postgres, logger: logger)
    let orderStore = PostgresOrderStore(
        client: postgres, region: configuration.region, cartLifetime: configuration.cartLifetime, logger: logger)
    let cursors = CursorCodec(secret: configuration.cursorSecret)
    let stockStore = PostgresStockStore(
        client: postgres, region: configuration.region, catalogHome: configuration.catalogHome, logger: logger)
    let metrics = PrometheusCollectorRegistry()
    let flows = FlowWindows()

    let router = buildRouter(
        region: configuration.region,
        health: HealthController(monitor: health, region: configuration.region),
        drain: DrainController(monitor: health, adminToken: configuration.adminToken),
        catalog: CatalogController(store: catalogStore, catalog: catalog, cursors: cursors, region: configuration.region),
        carts: CartController(
            store: PostgresCartStore(client: postgres, region: configuration.region, idleLifetime: configuration.cartLifetime, logger: logger)
        ),
        orders: OrderController(store: orderStore),
        admin: AdminController(
            orders: orderStore, stock: stockStore, cursors: cursors, adminToken: configuration.adminToken
        ),
        requestMetrics: RequestMetrics(registry: metrics, flows: flows)
    )
    let refresher = CatalogRefresher(
        store: catalogStore, catalog: catalog, region: configuration.region,
        interval: configuration.catalogRefreshInterval, logger: logger
    )
    // The group stops services in reverse order: the HTTP server (added last by Application) first, the
    // database pool last, so in-flight requests can still reach the database while the server drains.
    return Application(
        router: router,
        // A client that sends nothing for this long loses its connection, so slow clients cannot hold sockets.
        server: .http1(configuration: .init(idleTimeout: .seconds(30))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "storefront"),
        services: [
            postgres,
            HealthProber(
                monitor: health, postgres: postgres,
                heartbeat: HeartbeatWriter(client: postgres, region: configuration.region, logger: logger),
                inspector: ReplicationInspector(client: postgres, logger: logger), peers: configuration.peers, http: .shared,
                flows: flows, gauges: HealthGauges(registry: metrics, poolSize: configuration.maxDatabaseConnections), logger: logger
            ),
            StartupService(configuration: configuration, appClient: postgres, refresher: refresher, health: health, logger: logger),
            TransferReceiver(stock: stockStore, interval: configuration.probeInterval, logger: logger),
        ],
        logger: logger
    )
}

extension HealthMonitor {
    /// The region's health model: its peers from the configuration, its thresholds and probe interval.
    public convenience init(_ configuration: AppConfiguration) {
        self.init(
            model: HealthModel(
                region: configuration.region.name, catalogHome: configuration.catalogHome.name,
                peers: configuration.peers.map(\.region.name)
            ),
            thresholds: configuration.healthThresholds, interval: configuration.probeInterval
        )
    }
}
