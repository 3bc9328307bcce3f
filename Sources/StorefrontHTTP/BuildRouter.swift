import Hummingbird
import NIOCore
import Prometheus
import StorefrontCore
import StorefrontHealth
import StorefrontTracing

/// Every route and middleware of the API, in one place. Throws when a page the routes serve is missing from
/// the binary's resources.
public func buildRouter<Catalog: CatalogStore, Carts: CartStore, Orders: OrderStore, Stock: StockStore>(
    region: Region,
    health: HealthController,
    drain: DrainController,
    catalog: CatalogController<Catalog>,
    carts: CartController<Carts>,
    orders: OrderController<Orders>,
    admin: AdminController<Orders, Stock>,
    contract: ContractController,
    requestMetrics: RequestMetrics,
    admission: Admission,
    accessLog: AccessLogSampling,
    limits: HTTPLimits,
    deadlines: RequestDeadlines,
    rateLimits: RateLimits,
    observers: ObserverAccess,
    tracing: (tracer: StorefrontTracer, trust: TraceParentTrust)? = nil
) throws(BundledResourceMissing) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: StandardHeadersMiddleware(region: region))
    if let tracing {
        // Before the access log and the problems, which name the request's trace.
        router.add(middleware: TracingMiddleware(tracer: tracing.tracer, trust: tracing.trust))
    }
    router.add(middleware: AccessLogMiddleware(sampling: accessLog))
    router.add(middleware: RequestMetricsMiddleware(metrics: requestMetrics))
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: RequestLimitsMiddleware(limits: limits))
    health.addRoutes(to: router.group("health"))
    if let tracing { try TracesController(tracer: tracing.tracer, access: observers).addRoutes(to: router.group("debug/traces")) }
    contract.addRoutes(to: router)
    router.get("metrics") { request, _ in
        guard observers.mayReadDetails(request) else { throw ObserverAccess.refusal }
        return Response.bytes(ByteBuffer(bytes: requestMetrics.registry.emitToBuffer()), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
    let api = router.group("v1")
    // Each shopper route is registered with its flow, the one table metrics and the health report read, with
    // its class of work, which admission control bounds, and with its rate-limit kind if it has one. Probes,
    // metrics and admin calls are never shed nor limited.
    func flow(_ flow: Flow, _ work: WorkClass, on group: RouterGroup<AppRequestContext>) -> FlowGroup {
        FlowGroup(
            group: group,
            prefix: "/v1",
            flow: flow,
            routes: requestMetrics.routes,
            windows: requestMetrics.flows,
            admission: admission,
            rateLimits: rateLimits,
            work: work
        )
    }
    // Catalog reads come from memory or one bounded statement; a deadline's task group would only cost them.
    catalog.addRoutes(to: flow(.browse, .memoryRead, on: api))
    let bounded = api.group().add(middleware: RequestDeadlineMiddleware(deadlines: deadlines))
    carts.addRoutes(to: flow(.cart, .cart, on: bounded))
    orders.addRoutes(checkout: flow(.checkout, .checkout, on: bounded), orderHistory: flow(.orderHistory, .databaseRead, on: bounded))
    admin.addRoutes(to: bounded, region: region)
    drain.addRoutes(to: api)
    return router
}
