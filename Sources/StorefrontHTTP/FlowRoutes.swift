import HTTPTypes
import Hummingbird
import StorefrontHealth
import StorefrontTracing
import Synchronization

/// Which flow each shopper route belongs to, as declared where the route is registered (`FlowGroup`): the
/// one table the metrics (a flow's errors and latency) and the health report (a flow's endpoints) read.
/// Filled while the router is built, read-only after.
public final class FlowRoutes: Sendable {
    private let table = Mutex<[String: Flow]>([:])

    public init() {}

    func add(_ method: HTTPRequest.Method, _ route: String, flow: Flow) {
        table.withLock { $0["\(method.rawValue) \(route)"] = flow }
    }

    /// The flow of a request's method and matched route; nil for probes, metrics and admin calls.
    public func flow(method: String, route: String) -> Flow? {
        table.withLock { $0["\(method) \(route)"] }
    }

    /// A flow's endpoints, such as `GET /v1/carts/{id}`, in order.
    public func endpoints(of flow: Flow) -> [String] {
        table.withLock { $0.filter { $0.value == flow }.keys.sorted() }
    }
}

/// Registers a flow's routes on a router group, each with everything the store needs to know of it: its
/// flow, recorded in the table and given to the handler on its context; its class of work (the group's, or
/// the route's own where it differs), which admits each request; and its rate-limit kind, if the route is
/// limited. The deadline is the group's: the router group a controller is given carries it or not.
public struct FlowGroup {
    let group: RouterGroup<AppRequestContext>
    /// The group's path as the router matches it, such as `/v1`.
    let prefix: String
    let flow: Flow
    let routes: FlowRoutes
    let windows: FlowWindows
    let admission: Admission
    let rateLimits: RateLimits
    let work: WorkClass

    public typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    @discardableResult
    func on(
        _ method: HTTPRequest.Method,
        _ path: String,
        work: WorkClass? = nil,
        limit: RateLimitPolicy.Kind? = nil,
        use handler: @escaping Handler
    ) -> Self {
        let (admission, rateLimits, work, flow, windows) = (admission, rateLimits, work ?? self.work, flow, windows)
        @Sendable func admitted(_ request: Request, _ context: AppRequestContext) async throws -> Response {
            var context = context
            context.flow = flow
            // Counted as running from here, so a request blocked for longer than the flow's threshold shows in
            // the flow's latency before it ends.
            let began = windows.begin(flow)
            defer { windows.end(flow, began: began) }
            if let span = Spans.current {
                span.set("storefront.flow", flow.rawValue)
                span.set("storefront.admission.class", work.rawValue)
            }
            return try await admission.admit(work) { try await handler(request, context) }
        }
        // A client past its limit is refused before it counts in the flow or waits for admission.
        if let limit {
            group.on(RouterPath(path), method: method) { request, context in
                try await rateLimits.check(limit, request, context) { try await admitted(request, context) }
            }
        } else {
            group.on(RouterPath(path), method: method, use: admitted)
        }
        routes.add(method, "\(prefix)/\(path)", flow: flow)
        return self
    }

    @discardableResult func get(_ path: String, work: WorkClass? = nil, use handler: @escaping Handler) -> Self {
        on(.get, path, work: work, use: handler)
    }
    @discardableResult func post(_ path: String, limit: RateLimitPolicy.Kind? = nil, use handler: @escaping Handler) -> Self {
        on(.post, path, limit: limit, use: handler)
    }
    @discardableResult func put(_ path: String, limit: RateLimitPolicy.Kind? = nil, use handler: @escaping Handler) -> Self {
        on(.put, path, limit: limit, use: handler)
    }
    @discardableResult func delete(_ path: String, limit: RateLimitPolicy.Kind? = nil, use handler: @escaping Handler) -> Self {
        on(.delete, path, limit: limit, use: handler)
    }
}
