import AsyncHTTPClient
import DelayProxy
import Foundation
import NIOCore
import StorefrontCore
import StorefrontEdge
import StorefrontLoad
import StorefrontTestSupport
import Testing

@testable import StorefrontHTTP

/// The three regions on their real clusters behind the real edge, with shoppers from three continents; then
/// us-east dies mid-run. Part of the serialized replication suite, since it crashes a cluster.
extension ReplicationTests {
    @Test func aRegionThatDiesBehindTheEdgeCostsShoppersLittleAndOnlyAtOnce() async throws {
        try await ReplicatedRegions.withRegions { regions async throws in
            let agents = [try freePort(), try freePort(), try freePort()]
            @Sendable func environment(_ agent: Int) -> [String: String] {
                ["STOREFRONT_PORT": "0", "STOREFRONT_AGENT_PORT": String(agent), "STOREFRONT_PROBE_INTERVAL_MS": "250"]
            }
            try await withLiveRegionApp(regions, Self.east, environment: environment(agents[0])) { _, east in
                try await withLiveRegionApp(regions, Self.west, environment: environment(agents[1])) { _, west in
                    try await withLiveRegionApp(regions, Self.south, environment: environment(agents[2])) { _, south in
                        // Each region's API behind a proxy that can die at once, as a machine does.
                        try await withDelayProxy(to: east) { eastLink in
                            try await withDelayProxy(to: west) { westLink in
                                try await withDelayProxy(to: south) { southLink in
                                    let table = """
                                        us-east 127.0.0.1:\(eastLink.port) \(agents[0]) NA=5 SA=120 EU=75 AF=190 AS=210 OC=200
                                        eu-west 127.0.0.1:\(westLink.port) \(agents[1]) NA=75 SA=190 EU=5 AF=90 AS=160 OC=280
                                        ap-southeast 127.0.0.1:\(southLink.port) \(agents[2]) NA=210 SA=330 EU=160 AF=240 AS=5 OC=90
                                        """
                                    let edge = try await EdgeProcess.start(try EdgeTopology(parsing: table))
                                    do {
                                        try await Self.crashBehindTheEdge(edge, regions: regions, eastLink: eastLink)
                                        // What the survivors' own health saw: a signal that failed under the rush
                                        // names why a region answered unready.
                                        for (name, port) in [("eu-west", west), ("ap-southeast", south)] {
                                            for change in try await Self.unhealthyChanges(port: port) { print("\(name): \(change)") }
                                        }
                                    } catch {
                                        await edge.stop()
                                        throw error
                                    }
                                    await edge.stop()
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The signals that turned unhealthy after their first state ("not sampled yet"), with why, from the
    /// region's `/health/history`.
    static func unhealthyChanges(port: Int) async throws -> [String] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/history"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 16 << 20)
        let history = try JSONDecoder().decode(HealthHistoryDocument.self, from: Data(body.readableBytesView))
        return history.changes.filter { $0.from != nil && $0.to == "unhealthy" && $0.node.hasPrefix("signal:") }.map {
            "\($0.at) \($0.node): \($0.reason ?? "")"
        }
    }

    static func crashBehindTheEdge(_ edge: EdgeProcess, regions: ReplicatedRegions, eastLink: DelayProxy) async throws {
        try await waitUntil("the edge sends North America to us-east", timeout: .seconds(20)) {
            try await edge.send("GET", "/v1/products", headers: [("X-Client-Geo", "US")]).region == "us-east"
        }
        func plan(_ country: String) throws -> LoadPlan {
            var plan = LoadPlan(model: .open(try ArrivalProfile("hold:15/12s")), urls: [edge.url])
            plan.mix = try JourneyMix("browse=5,cart=2,checkout=3")
            plan.geo = try GeoMix(country)
            plan.timeline = .milliseconds(500)
            plan.seed = 11
            return plan
        }
        async let america = LoadGenerator.run(try plan("US"))
        async let europe = LoadGenerator.run(try plan("DE"))
        async let asia = LoadGenerator.run(try plan("JP"))
        try await Task.sleep(for: .seconds(5))
        let crashed = Date().timeIntervalSince1970
        await eastLink.cut()
        try await regions.crash(Self.east)
        let reports = try await [america, europe, asia]
        for change in edge.stateChanges { print("edge: \(change)") }
        let requests = reports.reduce(0) { $0 + $1.requests }
        let errors = reports.reduce(0) { $0 + $1.errors }
        let na = reports[0]
        print("crash behind the edge: \(errors) errors of \(requests) requests; North America's: \(na.overall.errorsByKind), served by \(na.regions)")

        for (continent, report) in zip(["NA", "EU", "AS"], reports) {
            print("\(continent): \(report.requests) requests, errors \(report.overall.errorsByKind), served by \(report.regions)")
        }

        // Before the crash North America is served by us-east — browsing lets a sliver go to eu-west, and up to
        // a sixth when a busy us-east turns degraded — after it by eu-west, its next closest.
        let timeline = try #require(na.timeline)
        func served(_ from: Double, _ to: Double) -> [String: Int] {
            timeline.filter {
                na.startedUnix + Double($0.startMs) / 1000 >= crashed + from && na.startedUnix + Double($0.startMs) / 1000 < crashed + to
            }
            .reduce(into: [:]) { total, bucket in total.merge(bucket.regions, uniquingKeysWith: +) }
        }
        func share(_ region: String, _ counts: [String: Int]) -> Double { Double(counts[region] ?? 0) / Double(max(counts.values.reduce(0, +), 1)) }
        #expect(share("us-east", served(-4, -0.5)) >= 0.85, "\(served(-4, -0.5))")
        #expect(share("eu-west", served(3, 7)) == 1, "\(served(3, 7))")
        // Failures only around the moment of the crash: requests us-east had taken and could not answer. Europe
        // and Asia too: a sliver of their browsing goes to the next region by design (more while their own
        // region is busy, one CI run: 8 of Europe's 459 requests), and a cart opened there meanwhile is adopted
        // once us-east is found down (409 cart-adopted); those meet the crash at once, and never after.
        for (continent, report) in zip(["NA", "EU", "AS"], reports) {
            let timeline = try #require(report.timeline)
            let late = timeline.filter { report.startedUnix + Double($0.startMs) / 1000 >= crashed + 3 }.reduce(0) { $0 + $1.errors }
            #expect(late == 0, "\(continent): \(late) failed 3 s or more after the crash")
        }
        #expect(Double(errors) <= Double(requests) * 0.02, "\(errors) of \(requests)")
        // Europe and Asia stay on their own regions: browsing spills at most a sixth to the next region while
        // its own is degraded (weight 256 × 2 % against 1), carts and checkouts none while it is ready. A CI run
        // with the edge's checks timing out after 400 ms took busy regions out and got 90 % (now 2 s).
        #expect(share("eu-west", reports[1].regions) >= 0.83, "\(reports[1].regions)")
        #expect(share("ap-southeast", reports[2].regions) >= 0.83, "\(reports[2].regions)")
    }
}
