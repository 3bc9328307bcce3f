import Foundation
import HTTPTypes
import Hummingbird
import Prometheus
import StorefrontCore
import StorefrontMetrics

/// The classes of work a region bounds separately, so that a flood of one cannot starve the others: above
/// all, checkout keeps its share of the database when browsing floods.
public enum WorkClass: String, Sendable, CaseIterable {
    /// Answered from memory: product pages, brands, categories. A product page not in memory is read from
    /// the database as a `databaseRead` too.
    case memoryRead = "memory_read"
    /// A query per request: listings, searches, order reads.
    case databaseRead = "database_read"
    case cart
    case checkout

    /// The class of a matched route; nil for what is never shed: probes, metrics and admin calls.
    init?(method: HTTPRequest.Method, route: String) {
        switch route {
        case "/v1/products/{id}", "/v1/brands", "/v1/categories": self = .memoryRead
        case "/v1/products": self = .databaseRead
        case "/v1/orders" where method == .post: self = .checkout
        default:
            if route.hasPrefix("/v1/carts") {
                self = .cart
            } else if route.hasPrefix("/v1/orders/") {
                self = .databaseRead
            } else {
                return nil
            }
        }
    }
}

/// Admission control: each class of work through its own `AdmissionGate`; a request its gate refuses gets
/// a fast `503 overloaded` with `Retry-After`, counted in `storefront_shed_requests_total{class}`.
public struct Admission: Sendable {
    let gates: [WorkClass: AdmissionGate]
    let shed: [WorkClass: Counter]

    /// Requests of one class that may wait at once; each waits at most `maxWait`.
    static let queueLimit = 256

    /// Gates sized from the database pool: the classes that query share it without any one taking it all.
    public init(poolSize: Int, maxWait: Duration, registry: PrometheusCollectorRegistry) {
        func gate(_ limit: Int) -> AdmissionGate { AdmissionGate(limit: max(1, limit), queueLimit: Self.queueLimit, maxWait: maxWait) }
        gates = [
            .memoryRead: gate(512), .databaseRead: gate(poolSize / 2), .cart: gate(poolSize / 4), .checkout: gate(poolSize / 4),
        ]
        shed = Dictionary(
            uniqueKeysWithValues: WorkClass.allCases.map { work in
                (
                    work,
                    registry.makeCounter(
                        descriptor: .storefront("shed", "requests", unit: "total", help: "Requests refused by admission control, by class of work"),
                        labels: [("class", work.rawValue)]
                    )
                )
            }
        )
    }
}

extension Admission {
    /// Runs `body` once `work`'s gate admits it; a refusal is a `503 overloaded`.
    func admit<Result>(_ work: WorkClass, _ body: () async throws -> Result) async throws -> Result {
        guard let gate = gates[work] else { return try await body() }
        guard await gate.enter() else {
            shed[work]?.increment()
            throw Problem.overloaded(work)
        }
        defer { gate.leave() }
        return try await body()
    }
}

struct AdmissionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let admission: Admission

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let route = context.endpointPath, let work = WorkClass(method: request.method, route: route) else {
            return try await next(request, context)
        }
        return try await admission.admit(work) { try await next(request, context) }
    }
}

extension Problem {
    static func overloaded(_ work: WorkClass) -> Problem {
        var problem = Problem(
            .overloaded,
            detail: "The region is at capacity for \(work.rawValue.replacingOccurrences(of: "_", with: " ")) requests; retry in a moment."
        )
        problem.headers["Retry-After"] = "1"
        problem.headers[HTTPField.Name.shed.rawName] = work.rawValue
        return problem
    }
}

extension HTTPField.Name {
    /// On a `503 overloaded`: the class of work that was at capacity.
    public static let shed = Self("Storefront-Shed")!
}
