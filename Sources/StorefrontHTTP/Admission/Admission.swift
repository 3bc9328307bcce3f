import Foundation
import HTTPTypes
import Hummingbird
import Prometheus
import StorefrontCore
import StorefrontMetrics
import StorefrontTracing
import Tracing

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
    /// How often `reap` should run: the finest of the gates' resolutions.
    public var resolution: Duration { gates.values.map(\.resolution).min() ?? .milliseconds(100) }

    /// Refuses every gate's waiters past their bound: the one timer behind every admission wait.
    public func reap(now: ContinuousClock.Instant = .now) {
        for gate in gates.values { gate.reap(now: now) }
    }

    /// Runs `body` once `work`'s gate admits it; a refusal is a `503 overloaded`.
    func admit<Result>(_ work: WorkClass, _ body: () async throws -> Result) async throws -> Result {
        guard let gate = gates[work] else { return try await body() }
        let arrived = DefaultTracerClock.now
        let (admitted, queued) = await gate.enterNotingWait()
        if let span = Spans.current {
            span.set("storefront.admission.waited", queued)
            if queued {
                // The wait as a span of its own, from arrival: only a request that waited has one.
                let wait = span.startChild("admission wait", at: arrived)
                wait.set("storefront.admission.class", work.rawValue)
                if !admitted { wait.setStatus(SpanStatus(code: .error, message: "shed")) }
                wait.end()
            }
        }
        guard admitted else {
            shed[work]?.increment()
            throw Problem.overloaded(work)
        }
        defer { gate.leave() }
        return try await body()
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
