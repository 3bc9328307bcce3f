import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import StorefrontCore
import StorefrontTestSupport
import Testing

/// Faults on real clusters: the region's own database stopped and started, a peer region lost. Part of the
/// serialized replication suite, since they stop the clusters it uses.
extension ReplicationTests {
    /// The health model's own defaults: a probe a second, two bad samples to fail, three good to recover.
    static let defaultProbing = ["STOREFRONT_PROBE_INTERVAL_MS": "1000"]

    func node(_ id: String, in document: [String: Any]) -> [String: Any]? {
        (document["nodes"] as? [[String: Any]])?.first { $0["id"] as? String == id }
    }

    @Test func stoppingTheDatabaseFailsReadinessNamesTheCauseAndRecoversWithoutARestart() async throws {
        try await ReplicatedRegions.withRegions { regions async throws in
            try await withLiveRegionApp(regions, Self.west, environment: Self.defaultProbing) { client, port in
                try await waitUntilHealthy(client)
                try await regions.stop(Self.west)
                let detection = try await timeUntil("eu-west is unready", timeout: .seconds(10)) {
                    try await client.get("/health/ready").status == .serviceUnavailable
                }
                // A figure, not an assertion: the wait's bound is what the test holds detection to.
                print("database stopped: /health/ready answered 503 after \(detection)")
                #expect(try await client.get("/health/live").status == .ok)

                let document = try await client.get("/health").json()
                #expect(document["status"] as? String == "fail")
                let database = try #require(node("component:database", in: document))
                #expect(database["status"] as? String == "unhealthy")
                #expect((database["root_signals"] as? [String])?.contains("database.read_latency") == true)
                #expect(Set(database["impacted_flows"] as? [String] ?? []) == ["browse", "cart", "checkout", "order_history"])
                #expect(node("flow:checkout", in: document)?["status"] as? String == "unhealthy")
                // Replication state is read from the stopped database: what could not be read is the database's
                // consequence, and the only root cause anywhere is the database.
                let replication = try #require(node("component:replication", in: document))
                let replicationRoots = replication["root_signals"] as? [String] ?? []
                #expect(replicationRoots.allSatisfy { $0.hasPrefix("database.") }, "\(replication)")
                let regionRoots = node("region", in: document)?["root_signals"] as? [String] ?? []
                #expect(!regionRoots.isEmpty && regionRoots.allSatisfy { $0.hasPrefix("database.") }, "\(regionRoots)")
                print("the database's reason: \(database["reason"] as? String ?? "none")")

                let page = try await RenderedPage.render(port: port, path: "/health/dashboard", screenshot: "dashboard-database-stopped.png")
                #expect(page.state(of: "component:database") == "unhealthy")
                #expect(page.state(of: "flow:checkout") == "unhealthy")
                #expect(page.state(of: "signal:database.read_latency") == "unhealthy")
                #expect(page.dom.contains("component:database is unhealthy"))
                // A root cause links each flow it impacts to that flow's recent kept traces.
                #expect(page.dom.contains(#"href="/debug/traces?flow=checkout"#))
                #expect(page.dom.contains("not ready"))
                // What happened before, from the history: a sparkline per signal, the fault's start marked on
                // the timeline at the database's first signal, and the change that began it in the list.
                #expect(page.dom.contains(#"data-signal="database.read_latency""#))
                #expect(page.dom.contains(#"data-signal="api.checkout.error_ratio""#))
                #expect(page.dom.contains("data-fault-start="))
                #expect(page.faultLabel?.contains(": database.") == true, "\(page.faultLabel ?? "no fault marked")")
                #expect(page.dom.contains(#"data-node="flow:checkout""#))
                #expect(page.dom.contains("signal:database.read_latency  healthy → unhealthy"))

                try await regions.start(Self.west)
                let recovery = try await timeUntil("eu-west is ready again", timeout: .seconds(15)) {
                    try await client.get("/health/ready").status == .ok
                }
                print("database started: /health/ready answered 200 after \(recovery)")
                try await waitUntilHealthy(client)
                let healthy = try await RenderedPage.render(port: port, path: "/health/dashboard", screenshot: "dashboard-recovered.png")
                #expect(healthy.state(of: "component:database") == "healthy")
            }
        }
    }

    /// One region's failure never takes down another: with us-east lost, eu-west stays ready, and says which
    /// of its flows lost their replication.
    @Test func aLostPeerRegionDegradesReplicationButLeavesTheRegionReady() async throws {
        try await ReplicatedRegions.withRegions { regions async throws in
            try await withLiveRegionApp(regions, Self.south, environment: Self.defaultProbing) { _, southPort in
                // us-east's API is down with its database: nothing listens where it would be.
                let peers = "us-east=http://127.0.0.1:1,ap-southeast=http://127.0.0.1:\(southPort)"
                let environment = Self.defaultProbing.merging([
                    "STOREFRONT_PEERS": peers, "STOREFRONT_HEALTH_THRESHOLDS": "replication_lag_s=3:60",
                ]) { $1 }
                try await withLiveRegionApp(regions, Self.west, environment: environment) { client, _ in
                    // us-east runs until its crash, long enough for its heartbeats to reach eu-west.
                    try await withRegionApps(regions, only: [Self.east]) { _ in
                        try await waitUntil("eu-west hears us-east's heartbeat", timeout: .seconds(30)) {
                            let document = try await client.get("/health").json()
                            return node("signal:replication.us-east.lag", in: document)?["status"] as? String == "healthy"
                        }
                    }
                    try await regions.crash(Self.east)
                    let detection = try await timeUntil("eu-west sees us-east's replication lost", timeout: .seconds(30)) {
                        let document = try await client.get("/health").json()
                        return node("component:replication", in: document)?["status"] as? String == "degraded"
                            && node("signal:replication.us-east.lag", in: document)?["status"] as? String != "healthy"
                    }
                    print("peer lost: eu-west's replication degraded after \(detection)")
                    let ready = try await client.get("/health/ready")
                    #expect(ready.status == .ok)
                    #expect(try ready.json()["status"] as? String == "warn")
                    for flow in ["browse", "cart", "checkout", "order_history"] {
                        #expect(try await client.get("/health/ready/\(flow)").status == .ok, "\(flow)")
                    }
                    let document = try await client.get("/health").json()
                    #expect(document["status"] as? String == "warn")
                    #expect(node("component:peers", in: document)?["status"] as? String == "degraded")
                    #expect(node("signal:peers.us-east.live", in: document)?["status"] as? String == "unhealthy")
                    #expect(node("signal:peers.ap-southeast.live", in: document)?["status"] as? String == "healthy")
                    #expect(
                        node("signal:replication.ap-southeast.lag", in: document)?["status"] as? String == "healthy",
                        "\(node("signal:replication.ap-southeast.lag", in: document) ?? [:])"
                    )
                    #expect(node("component:database", in: document)?["status"] as? String == "healthy")
                    let replication = try #require(node("component:replication", in: document))
                    #expect(Set(replication["impacted_flows"] as? [String] ?? []) == ["browse", "cart", "checkout", "order_history"])
                    for flow in ["browse", "cart", "checkout", "order_history"] {
                        let flowNode = try #require(node("flow:\(flow)", in: document))
                        #expect(flowNode["status"] as? String == "degraded", "\(flow)")
                        #expect((flowNode["root_signals"] as? [String])?.contains { $0.hasPrefix("replication.us-east") } == true, "\(flow)")
                    }
                    // Shoppers in eu-west still check out.
                    _ = try await placeOrder(client, sku: sku)
                    try await regions.start(Self.east)
                }
            }
        }
    }
}

/// A page (the dashboard, the traces view) as a real browser draws it: headless Chromium runs the page's
/// script under its Content-Security-Policy, then hands back the resulting DOM and a screenshot.
struct RenderedPage {
    let dom: String

    /// The `data-state` of the graph node with this id.
    func state(of id: String) -> String? {
        guard let range = dom.range(of: #"data-id="\#(id)" data-state=""#) else { return nil }
        return String(dom[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The timeline's mark of the fault's start: "fault began <time>: <signal>".
    var faultLabel: String? {
        guard let label = dom.range(of: #"class="fault-label""#), let end = dom[label.upperBound...].firstIndex(of: ">") else {
            return nil
        }
        return String(dom[dom.index(after: end)...].prefix { $0 != "<" })
    }

    static var artifacts: String {
        ProcessInfo.processInfo.environment["STOREFRONT_TEST_ARTIFACTS"] ?? NSTemporaryDirectory()
    }

    static func render(port: Int, path: String, screenshot: String) async throws -> RenderedPage {
        let url = "http://127.0.0.1:\(port)\(path)"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let domFile = "\(artifacts)/\(screenshot).html"
        let browser = [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,1700",
            "--virtual-time-budget=3000",
        ]
        let dump = browser.map(shellQuote).joined(separator: " ") + " --dump-dom \(shellQuote(url)) > \(shellQuote(domFile)) 2>/dev/null"
        guard await spawnAndWait(["/bin/sh", "-c", dump]) == 0 else { throw TestSetupError("chromium could not render \(url)") }
        let shot =
            browser.map(shellQuote).joined(separator: " ")
            + " --screenshot=\(shellQuote("\(artifacts)/\(screenshot)")) \(shellQuote(url)) >/dev/null 2>&1"
        guard await spawnAndWait(["/bin/sh", "-c", shot]) == 0 else { throw TestSetupError("chromium could not take a screenshot of \(url)") }
        print("page screenshot: \(artifacts)/\(screenshot)")
        return RenderedPage(dom: try String(contentsOfFile: domFile, encoding: .utf8))
    }

    static func shellQuote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }
}
