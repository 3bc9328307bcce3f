import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StorefrontCore

/// What a run does: which model, against which regions, with which journeys.
public struct LoadPlan: Sendable {
    public enum Model: Sendable {
        /// Journeys arrive on the profile's schedule whether or not earlier ones have finished, as shoppers do.
        case open(ArrivalProfile)
        /// `concurrency` shoppers each start a journey as soon as their last one ends, for `duration`.
        case closed(concurrency: Int, duration: Duration)
    }

    public var model: Model
    /// Base URLs; journeys take them in turn.
    public var urls: [String]
    public var mix = JourneyMix.default
    public var geo: GeoMix?
    /// The SKUs carts and checkouts take, instead of those sampled from the catalog.
    public var skus: [String]?
    /// How many SKUs are hot, and which share of checkouts buys one of them.
    public var hotSKUs = 0
    public var hotShare = 0.5
    /// With an admin token, each hot SKU's stock in every target region is set to this first.
    public var hotStock: Int?
    public var adminToken: String?
    /// HTTP/1.1 connections per target.
    public var connections = 64
    /// Journeys in flight at most (open model); beyond it arrivals wait, and their wait counts in their latency.
    public var maxInFlight = 10_000
    public var timeout = Duration.seconds(10)
    /// Report requests by when they were due, in buckets this wide.
    public var timeline: Duration?
    /// Append every acknowledged order here, as it is acknowledged.
    public var ordersFile: String?
    /// Connect from this local address (the edge's CIDR map places shoppers by it).
    public var source: String?
    public var seed = UInt64.random(in: 0...UInt64.max)

    public init(model: Model, urls: [String]) {
        self.model = model
        self.urls = urls
    }

    var modelName: String {
        switch model {
        case .open: "open"
        case .closed: "closed"
        }
    }

    var loadDescription: String {
        switch model {
        case .open(let profile): profile.text
        case .closed(let concurrency, let duration): "\(concurrency) shoppers for \(duration)"
        }
    }
}

public enum LoadGenerator {
    /// Runs `plan` and reports; `progress` gets one line a second.
    public static func run(_ plan: LoadPlan, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> LoadReport {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: plan.connections)
        // A request that waits for a connection longer than its own timeout has timed out anyway.
        configuration.timeout = .init(connect: .nanoseconds(plan.timeout.nanoseconds))
        configuration.localAddress = plan.source
        let orders = try plan.ordersFile.map { try OrderLog(path: $0) }
        return try await HTTPClient.withHTTPClient(configuration: configuration) { http in
            let recorder = LoadRecorder()
            let sample = try await Preparation(http: http, plan: plan, recorder: recorder).run()
            let cpu = ProcessCPU()
            let started = ContinuousClock.now
            let startedUnix = Date().timeIntervalSince1970
            if let width = plan.timeline { recorder.startTimeline(at: started, width: width) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await journeys(plan, http: http, sample: sample, recorder: recorder, orders: orders) }
                group.addTask { await reportProgress(recorder, plan: plan, started: started, cpu: cpu, progress) }
                try await group.next()
                group.cancelAll()
            }
            let duration = ContinuousClock.now - started
            return LoadReport(
                recorder: recorder,
                model: plan.modelName,
                load: plan.loadDescription,
                mix: plan.mix,
                duration: duration,
                corrected: plan.modelName == "open",
                cpuCores: cpu.coresUsed(),
                timelineWidth: plan.timeline,
                startedUnix: startedUnix
            )
        }
    }

    private static func journeys(
        _ plan: LoadPlan,
        http: HTTPClient,
        sample: CatalogSample,
        recorder: LoadRecorder,
        orders: OrderLog?
    ) async throws {
        var random = SplitMix64(seed: plan.seed)
        var turn = 0
        func shopper(_ random: inout SplitMix64) -> VirtualShopper {
            defer { turn += 1 }
            return VirtualShopper(
                http: http,
                base: plan.urls[turn % plan.urls.count],
                geo: plan.geo?.code(at: random.nextDouble()),
                sample: sample,
                recorder: recorder,
                timeout: plan.timeout,
                hotShare: plan.hotShare,
                orders: orders
            )
        }
        switch plan.model {
        case .open(let profile):
            let slots = JourneySlots(plan.maxInFlight)
            let start = ContinuousClock.now + .milliseconds(50)
            try await withThrowingDiscardingTaskGroup { group in
                for offset in profile.arrivals() {
                    let due = start + offset
                    // Sleeping for each of thousands of arrivals a second costs more than it keeps exact.
                    if due > .now + .microseconds(500) { try await Task.sleep(until: due, clock: .continuous) }
                    await slots.acquire()
                    let journey = plan.mix.journey(at: random.nextDouble())
                    let shopper = shopper(&random)
                    let seed = random.next()
                    group.addTask {
                        var random = SplitMix64(seed: seed)
                        await shopper.run(journey, intendedStart: due, random: &random)
                        await slots.release()
                    }
                }
            }
        case .closed(let concurrency, let duration):
            let end = ContinuousClock.now + duration
            try await withThrowingDiscardingTaskGroup { group in
                for _ in 0..<concurrency {
                    let shopper = shopper(&random)
                    let seed = random.next()
                    let mix = plan.mix
                    group.addTask {
                        var random = SplitMix64(seed: seed)
                        while ContinuousClock.now < end, !Task.isCancelled {
                            await shopper.run(mix.journey(at: random.nextDouble()), intendedStart: .now, random: &random)
                        }
                    }
                }
            }
        }
    }

    /// One line a second: target and achieved rates, journeys in flight, errors, the second's p99, and the
    /// generator's own CPU.
    private static func reportProgress(
        _ recorder: LoadRecorder,
        plan: LoadPlan,
        started: ContinuousClock.Instant,
        cpu: ProcessCPU,
        _ progress: @Sendable (String) -> Void
    ) async {
        var second = 0
        var lastJourneys = 0
        while (try? await Task.sleep(until: started + .seconds(second + 1), clock: .continuous)) != nil {
            second += 1
            let window = recorder.takeWindow()
            var line = String(format: "[%4ds] ", second)
            if case .open(let profile) = plan.model {
                line += String(format: "target %.0f journeys/s, ", profile.rate(at: .seconds(second) - .milliseconds(500)))
            }
            line += "\(window.journeysStarted - lastJourneys) journeys/s, \(window.requests) requests/s, \(window.inFlight) in flight, "
            line += "\(window.errors) errors, p99 " + (window.p99.map { String(format: "%.2f ms", $0.seconds * 1000) } ?? "-")
            line += String(format: ", generator CPU %.0f%%", cpu.recentUse() * 100)
            lastJourneys = window.journeysStarted
            progress(line)
        }
    }
}

/// Bounds the journeys in flight; an arrival waits for a slot.
actor JourneySlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
