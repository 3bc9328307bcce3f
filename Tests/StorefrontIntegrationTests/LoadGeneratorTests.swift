import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import StorefrontLoad
import StorefrontTestSupport
import Synchronization
import Testing

/// The load generator against servers whose behaviour is known: one that stalls, and the real app.
@Suite(.serialized) struct LoadGeneratorTests {
    /// Answers every call at once with one body that satisfies the generator's preparation and journeys,
    /// except during `stall`: then every answer waits until the stall ends.
    final class StallingServer: Sendable {
        let stall: Mutex<(from: ContinuousClock.Instant, to: ContinuousClock.Instant)?> = Mutex(nil)
        let requests = Atomic(0)
        static let body = #"{"items":[{"id":"p1","slug":"b1"}],"next_cursor":null,"variants":[{"sku":"s1","in_stock":true}]}"#

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.get("**") { _, _ -> Response in
                self.requests.add(1, ordering: .relaxed)
                if let (from, to) = self.stall.withLock({ $0 }), ContinuousClock.now >= from, ContinuousClock.now < to {
                    try await Task.sleep(until: to, clock: .continuous)
                }
                return Response(
                    status: .ok,
                    headers: [.contentType: "application/json", HTTPField.Name("X-Region")!: "synthetic"],
                    body: .init(byteBuffer: ByteBuffer(string: Self.body))
                )
            }
            return router
        }
    }

    /// One connection, 25 journeys a second for 4 s, and a server that stops answering for a second: the
    /// journeys due in that second are held back, first by the server, then by the one connection; counted
    /// from when they were due, a quarter of the first requests wait up to a second, and the report says so.
    /// A generator that timed requests from when it sent them would show no such thing.
    @Test func latenciesCountFromWhenEachJourneyWasDue() async throws {
        let server = StallingServer()
        let app = Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            var plan = LoadPlan(model: .open(try ArrivalProfile("hold:25/4s")), urls: ["http://127.0.0.1:\(port)"])
            plan.mix = try JourneyMix("browse=1")
            plan.connections = 1
            plan.timeout = .seconds(60)
            plan.seed = 42
            let start = ContinuousClock.now
            server.stall.withLock { $0 = (start + .milliseconds(1200), start + .milliseconds(2200)) }
            let report = try await LoadGenerator.run(plan)
            let first = report.steps.filter { ["browse.list", "browse.filter", "browse.search"].contains($0.key) }.map(\.value)
            let count = first.reduce(0) { $0 + $1.count }
            let waitedLong = first.map(\.maxMs).max() ?? 0
            print("stalled server: \(report.journeys) journeys, first requests' p90 \(first.map(\.p90Ms)) ms, max \(waitedLong) ms")
            #expect(report.journeys == 100)
            #expect(count == 100)
            #expect(report.errors == 0)
            #expect(waitedLong >= 800)
            #expect(first.allSatisfy { $0.p90Ms >= 300 })
            #expect(report.coordinatedOmissionCorrected)
            #expect(report.regions.keys.sorted() == ["synthetic"])
        }
    }

    /// The open model keeps its schedule: every journey of the profile is started, whatever the server does.
    @Test func theOpenModelStartsEveryScheduledJourney() async throws {
        let server = StallingServer()
        let app = Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let profile = try ArrivalProfile("ramp:0-100/1s,hold:100/1s")
            var plan = LoadPlan(model: .open(profile), urls: ["http://127.0.0.1:\(port)"])
            plan.mix = try JourneyMix("browse=1")
            let before = server.requests.load(ordering: .relaxed)
            let report = try await LoadGenerator.run(plan)
            #expect(report.journeys == Array(profile.arrivals()).count)
            #expect(report.journeys == 150)
            // The server saw exactly what the generator counted, its preparation included.
            #expect(server.requests.load(ordering: .relaxed) - before == report.requests + report.setupRequests)
        }
    }

    /// Against the real app: the generator's count agrees with the server's own `/metrics`, every journey
    /// runs, and an unmet objective is reported.
    @Test func theGeneratorsCountAgreesWithTheServersMetrics() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withLiveTestApp(database) { client, port in
                let base = "http://127.0.0.1:\(port)"
                let before = try await Self.requestsServed(client)
                var plan = LoadPlan(model: .open(try ArrivalProfile("hold:40/2s")), urls: [base])
                plan.mix = try JourneyMix("browse=4,cart=2,checkout=2,orders=1")
                plan.hotSKUs = 1
                plan.hotShare = 1
                plan.hotStock = 1000
                plan.adminToken = Shopper.adminToken
                plan.seed = 7
                var report = try await LoadGenerator.run(plan)
                // Counted before the /metrics call below, which the server counts too.
                let after = try await Self.requestsServed(client) - 1
                print("against the app: \(report.requests) requests + \(report.setupRequests) setup; the server counted \(after - before)")
                #expect(after - before == report.requests + report.setupRequests)
                #expect(report.journeys == 80)
                #expect(report.errors == 0, "\(report.overall.errorsByKind)")
                for step in ["cart.open", "cart.add", "checkout", "order.lookup", "browse.product"] {
                    #expect(report.steps[step] != nil, "\(step)")
                }
                #expect(report.regions.keys.sorted() == ["us-east"])
                report.slo = try SLO("p99<1us").evaluate(report)
                #expect(report.slo?.passed == false)
            }
        }
    }

    /// The sum of `storefront_http_requests_total` over every route, this request not included.
    static func requestsServed(_ client: any TestClientProtocol) async throws -> Int {
        let text = String(buffer: try await client.get("/metrics").body)
        return text.split(separator: "\n")
            .filter { $0.hasPrefix("storefront_http_requests_total{") }
            .compactMap { Double($0.split(separator: " ").last!) }
            .reduce(0) { $0 + Int($1) }
    }
}
