import ArgumentParser
import Foundation
import StorefrontLoad

struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rehearse a launch: shoppers' journeys against one or more regions, with honest latencies.",
        discussion: """
            Open model (--profile): journeys arrive on a schedule, whether or not the earlier ones have finished, and \
            every request's latency counts from when it was due, so a stall shows instead of hiding (coordinated \
            omission corrected). Closed model (--concurrency): that many shoppers, each starting a journey as soon as \
            the last one ended.

            Journeys: browse (a listing with filters, a search or a plain page, a product page, sometimes brands or \
            categories), cart (open, add, change), checkout (open, add, check out with an Idempotency-Key, retried \
            with the same key on connection errors, timeouts and 503s), orders (read an order placed in the run).

            Exit status: 0, or 3 when --slo is not met.
            """
    )

    @Option(name: .customLong("url"), help: "A region's base URL; repeat for several, journeys take them in turn.")
    var urls: [String] = ["http://127.0.0.11:8081"]
    @Option(help: "Open model: journeys per second over time, e.g. ramp:0-2000/30s,hold:2000/60s,spike:10x/20s.")
    var profile: String?
    @Option(help: "Closed model: this many shoppers, each running journeys back to back.")
    var concurrency: Int?
    @Option(help: "How long the closed model runs (500ms, 30s, 2m).")
    var duration = "30s"
    @Option(help: "Journeys and their weights.")
    var mix = "browse=70,cart=15,checkout=10,orders=5"
    @Option(help: "SKUs for carts and checkouts, comma-separated, instead of a sample of the catalog's.")
    var skus: String?
    @Option(help: "How many SKUs are hot: a share of checkouts buys one of them.")
    var hotSKUs = 0
    @Option(help: "The share of checkouts that buy a hot SKU, 0 to 1.")
    var hotShare = 0.5
    @Option(help: "Set each hot SKU's stock to this first in every target (needs --admin-token or STOREFRONT_ADMIN_TOKEN).")
    var hotStock: Int?
    @Option(help: "Bearer token for the admin calls --hot-stock makes.")
    var adminToken: String?
    @Option(help: "Geographies, one per virtual shopper, sent as X-Client-Geo: US,DE,JP or US=50,DE=30,JP=20.")
    var geo: String?
    @Option(help: "HTTP/1.1 connections per target.")
    var connections = 64
    @Option(help: "Journeys in flight at most (open model); arrivals past it wait, and the wait counts.")
    var maxInFlight = 10_000
    @Option(help: "A request without an answer after this long is a timeout.")
    var timeout = "10s"
    @Option(help: "Seed for the journeys' choices, to repeat a run.")
    var seed: UInt64?
    @Option(help: "Objective, e.g. \"p99<50ms,errors<0.1%\" or \"checkout:p99<200ms\": exit 3 when not met.")
    var slo: String?
    @Option(help: "Add to the JSON report requests by when they were due, in buckets this wide (100ms, 1s).")
    var timeline: String?
    @Option(help: "Append every acknowledged order to this file as it comes: id, region, time (JSON lines).")
    var orders: String?
    @Option(help: "Connect from this local address: the edge places shoppers by it when no header says where they are.")
    var source: String?
    @Option(help: "Write the report as JSON to this file.")
    var json: String?
    @Flag(help: "No progress line every second.")
    var quiet = false

    mutating func validate() throws {
        do {
            _ = try makePlan()
            _ = try slo.map { text throws(LoadError) in try SLO(text) }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() async throws {
        let plan = try makePlan()
        let objective = try slo.map { text throws(LoadError) in try SLO(text) }
        let quiet = quiet
        let report: LoadReport
        do {
            report = try await LoadGenerator.run(plan) { line in
                if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        var final = report
        final.slo = objective?.evaluate(report)
        print(final.table)
        if let json { try final.json().write(to: URL(fileURLWithPath: json)) }
        if let result = final.slo {
            print(result.passed ? "SLO met: \(result.objective)" : "SLO NOT met: \(result.violations.joined(separator: "; "))")
            if !result.passed { throw ExitCode(3) }
        }
    }

    func makePlan() throws(LoadError) -> LoadPlan {
        let model: LoadPlan.Model
        switch (profile, concurrency) {
        case (let profile?, nil): model = .open(try ArrivalProfile(profile))
        case (nil, let concurrency?):
            guard (1...100_000).contains(concurrency) else { throw .invalid("--concurrency must be 1 to 100000") }
            guard let length = parseDuration(duration), length > .zero else { throw .invalid("--duration is not a duration such as 30s") }
            model = .closed(concurrency: concurrency, duration: length)
        default: throw .invalid("give either --profile (open model) or --concurrency (closed model)")
        }
        for url in urls {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme), parsed.host != nil else {
                throw .invalid("--url \(url) is not an http(s) URL")
            }
        }
        var plan = LoadPlan(model: model, urls: urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 })
        plan.mix = try JourneyMix(mix)
        plan.geo = try geo.map { text throws(LoadError) in try GeoMix(text) }
        guard hotSKUs >= 0, hotSKUs <= 1000 else { throw .invalid("--hot-skus must be 0 to 1000") }
        guard (0...1).contains(hotShare) else { throw .invalid("--hot-share must be between 0 and 1") }
        plan.skus = skus.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        plan.hotSKUs = hotSKUs
        plan.hotShare = hotShare
        plan.hotStock = hotStock
        plan.adminToken = adminToken ?? ProcessInfo.processInfo.environment["STOREFRONT_ADMIN_TOKEN"]
        if hotStock != nil, plan.adminToken == nil { throw .invalid("--hot-stock needs --admin-token or STOREFRONT_ADMIN_TOKEN") }
        guard (1...10_000).contains(connections) else { throw .invalid("--connections must be 1 to 10000") }
        guard (1...1_000_000).contains(maxInFlight) else { throw .invalid("--max-in-flight must be 1 to 1000000") }
        guard let timeout = parseDuration(timeout), timeout > .zero else { throw .invalid("--timeout is not a duration such as 10s") }
        plan.connections = connections
        plan.maxInFlight = maxInFlight
        plan.timeout = timeout
        if let seed { plan.seed = seed }
        if let timeline {
            guard let width = parseDuration(timeline), width >= .milliseconds(10) else {
                throw .invalid("--timeline is not a duration of at least 10ms")
            }
            plan.timeline = width
        }
        plan.ordersFile = orders
        plan.source = source
        return plan
    }
}
