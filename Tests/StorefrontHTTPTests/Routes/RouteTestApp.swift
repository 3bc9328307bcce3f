import Hummingbird
import HummingbirdTesting
import Prometheus
import StorefrontCore
import StorefrontHTTP
import StorefrontHealth
import StorefrontTestSupport

/// The region's routes, as `buildRouter` wires them for `serve`, over a `MemoryStore` and through
/// HummingbirdTesting's router: no server, no database, no other process.
struct RouteTestApp: Sendable {
    static let observerToken = "route-test-observer-token-0123456789"

    /// What the routes read and write.
    let store: MemoryStore
    /// Calls to the routes, as a shopper or an admin makes them.
    let shopper: Shopper
    /// Each shopper route's flow, as registered.
    let routes: FlowRoutes
    /// The region's health, which nothing probes here: a test records the samples it needs.
    let monitor: HealthMonitor

    static func test<Result: Sendable>(
        products: Int = 12,
        rateLimits: [RateLimitPolicy] = RateLimitPolicy.defaults,
        peerSecret: String? = nil,
        _ body: @Sendable (RouteTestApp) async throws -> Result
    ) async throws -> Result {
        let region = try Region("us-east")
        let store = MemoryStore(region: region, products: products)
        let registry = PrometheusCollectorRegistry()
        let monitor = HealthMonitor(model: HealthModel(region: region.name, catalogHome: region.name, peers: []))
        let routes = FlowRoutes()
        let admission = Admission(poolSize: 8, maxWait: .milliseconds(500), registry: registry)
        let cursors = CursorCodec(secret: "route-test-cursor-secret-0123456789")
        let home = HomeForwarder(region: region, peers: [], forwarder: nil, secret: peerSecret, monitor: monitor, registry: registry)
        let observers = ObserverAccess(detailsArePublic: false, token: observerToken)
        let router = try buildRouter(
            region: region,
            health: try HealthController(monitor: monitor, region: region, access: observers, routes: routes),
            drain: DrainController(monitor: monitor, drains: store, adminToken: Shopper.adminToken),
            catalog: CatalogController(
                store: store,
                cache: CatalogCache(region: region, capacity: products, registry: registry),
                cursors: cursors,
                region: region,
                admission: admission
            ),
            carts: CartController(store: store, home: home),
            orders: OrderController(store: store, home: home),
            admin: AdminController(orders: store, stock: store, cursors: cursors, adminToken: Shopper.adminToken),
            contract: try ContractController(),
            requestMetrics: RequestMetrics(registry: registry, flows: FlowWindows(), routes: routes),
            admission: admission,
            accessLog: AccessLogSampling(oneIn: 0),
            limits: HTTPLimits(),
            deadlines: RequestDeadlines(allowance: .seconds(5)),
            rateLimits: RateLimits(policies: rateLimits, trustedProxies: []),
            observers: observers
        )
        return try await Application(router: router).test(.router) { client in
            try await body(RouteTestApp(store: store, shopper: Shopper(client: client), routes: routes, monitor: monitor))
        }
    }
}
