import AsyncHTTPClient
import DelayProxy
import Foundation
import NIOCore
import NIOHTTP1
import PostgresNIO
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Synchronization
import Testing

/// The real binary under SIGTERM, with shoppers mid-checkout against a database 20 ms away each way.
/// One at a time: each test times a binary of its own, and journeys slowed by its neighbours would not
/// begin inside the drain window.
@Suite(.serialized) struct ShutdownTests {
    static func get(_ url: String) async throws -> (Int, [String: Any]) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        return (Int(response.status.code), json)
    }

    static func send(_ method: String, _ url: String, headers: [(String, String)] = [], body: String? = nil) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = .RAW(value: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        // Generous: the suite's other tests share the two cores.
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:])
    }

    /// One shopper's whole journey: open a cart, put a pair in, check out.
    /// A journey stops before any request it would send after `stop` is set.
    static func journey(_ base: String, sku: String, stop: @Sendable () -> Bool) async throws -> [Int] {
        let (opened, cart) = try await send("POST", "\(base)/v1/carts")
        guard let id = cart["id"] as? String, let token = cart["token"] as? String, !stop() else { return [opened] }
        let (set, _) = try await send(
            "PUT",
            "\(base)/v1/carts/\(id)/items/\(sku)",
            headers: [("Cart-Token", token), ("Content-Type", "application/json")],
            body: #"{"quantity": 1}"#
        )
        guard !stop() else { return [opened, set] }
        let (placed, _) = try await send(
            "POST",
            "\(base)/v1/orders",
            headers: [("Cart-Token", token), ("Idempotency-Key", UUID().uuidString), ("Content-Type", "application/json")],
            body: Shopper.checkoutBody(id)
        )
        return [opened, set, placed]
    }

    @Test func sigtermDrainsFinishesWhatIsInFlightAndExitsZero() async throws {
        let binary = try SpawnedProcess.binary
        let sku = CatalogGenerator().product(5).variants[0].sku
        try await TestDatabase.withDatabase { database async throws in
            try await withDelayProxy(to: database.appURL.port, delay: .milliseconds(20)) { proxy in
                let port = try freePort()
                let base = "http://127.0.0.1:\(port)"
                var appURL = database.appURL
                appURL.port = proxy.port
                let log = "\(RenderedPage.artifacts)/sigterm-\(port).log"
                let process = try SpawnedProcess.start(
                    [binary, "serve"],
                    environment: appEnvironment(database).merging([
                        "STOREFRONT_PORT": String(port), "STOREFRONT_DATABASE_URL": urlString(appURL),
                        "STOREFRONT_DRAIN_GRACE_MS": "2000", "STOREFRONT_LOG_LEVEL": "info",
                    ]) { $1 },
                    output: log
                )
                // The server must not outlive a failed test.
                do {
                    try await waitUntil("the binary is ready", timeout: .seconds(30)) { try await Self.get("\(base)/health/ready").0 == 200 }
                    _ = try await Self.send(
                        "PUT",
                        "\(base)/v1/admin/stock/\(sku)",
                        headers: [
                            ("Authorization", "Bearer \(Shopper.adminToken)"), ("Content-Type", "application/json"),
                        ],
                        body: #"{"available": 100000}"#
                    )

                    // The operator's view first: the health command against the running binary, once its first
                    // connections are open and it is healthy.
                    try await waitUntil("the binary is healthy", timeout: .seconds(30)) {
                        try await Self.get("\(base)/health/ready").1["status"] as? String == "pass"
                    }
                    // The command shows the latest probe round, and on a loaded machine one round can miss its
                    // deadline (a degraded database) or its connect timeout: ask again until a round says ready
                    // with the database healthy, at most five times.
                    let treeFile = "\(RenderedPage.artifacts)/health-\(port).txt"
                    var healthStatus: Int32?
                    for _ in 0..<5 {
                        let health = try SpawnedProcess.start([binary, "health", "--url", base, "--no-color"], environment: [:], output: treeFile)
                        healthStatus = try await health.exitStatus(within: .seconds(20))
                        let shown = (try? String(contentsOfFile: treeFile, encoding: .utf8)) ?? ""
                        if healthStatus == 0, shown.contains("● component:database healthy") { break }
                        try await Task.sleep(for: .seconds(1))
                    }
                    #expect(healthStatus == 0)
                    let tree = try String(contentsOfFile: treeFile, encoding: .utf8)
                    #expect(tree.contains("us-east: ready"), "\(tree)")
                    #expect(tree.contains("● component:database healthy"), "\(tree)")
                    #expect(tree.contains("└─ ● component:api"), "\(tree)")

                    let record = LoadRecord()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<4 {
                            group.addTask {
                                while !record.stopped {
                                    let startedWhileDraining = record.draining
                                    do {
                                        let statuses = try await Self.journey(base, sku: sku) { record.stopped }
                                        record.add(statuses, whileDraining: startedWhileDraining)
                                    } catch {
                                        record.fail("\(error)")
                                    }
                                }
                            }
                        }
                        // Every shopper through a journey first, so the pool has a connection for each.
                        try await waitUntil("the shoppers have finished four journeys") { record.outcomes.statuses.count >= 12 }
                        process.signal(SIGTERM)
                        let signalled = ContinuousClock.now
                        // The SKU's stock row held from now until 2.3 s: every checkout sent meanwhile waits in the
                        // database, so it is in flight, for certain, when the grace period ends at 2 s and the
                        // listener closes, and it is answered after that.
                        let holding = LockHolder()
                        group.addTask {
                            try await database.asOwner { owner in
                                try await owner.withConnection { connection in
                                    try await connection.query("BEGIN", logger: TestDatabase.logger)
                                    try await connection.query("SELECT 1 FROM stock WHERE sku = \(sku) FOR UPDATE", logger: TestDatabase.logger)
                                    holding.taken()
                                    try await Task.sleep(until: signalled + .milliseconds(2300))
                                    try await connection.query("COMMIT", logger: TestDatabase.logger)
                                }
                            }
                        }
                        try await waitUntil("the stock row is held") { holding.isTaken }
                        // A figure, not an assertion: the poll's bound is what the test holds the drain to.
                        let detection = try await timeUntil("readiness answers 503", timeout: .seconds(5)) {
                            try await Self.get("\(base)/health/ready").0 == 503
                        }
                        record.startDrain()
                        print("SIGTERM: /health/ready answered 503 after \(detection)")
                        // One journey begun now for certain: on a loaded machine the four shoppers can each be
                        // mid-journey until the sending stops, and begin none while draining.
                        group.addTask {
                            do {
                                record.add(try await Self.journey(base, sku: sku) { record.stopped }, whileDraining: true)
                            } catch {
                                record.fail("\(error)")
                            }
                        }
                        #expect(try await Self.get("\(base)/health/live").0 == 200)
                        let (_, document) = try await Self.get("\(base)/health")
                        let drain = document["draining"] as? [String: Any]
                        #expect(drain?["requested_by"] as? String == "SIGTERM")
                        #expect(drain?["reason"] as? String == "shutting down")
                        // No request is sent after 1.3 s: requests sent after the listener closes would not be in
                        // flight but refused, which is not tested.
                        try await Task.sleep(until: signalled + .milliseconds(1300))
                        record.stop()
                        try await Task.sleep(until: signalled + .milliseconds(2000))
                        record.closeListener()
                        try await group.waitForAll()
                    }
                    let status = try await process.exitStatus(within: .seconds(20))
                    #expect(status == 0)
                    let outcomes = record.outcomes
                    print(
                        "SIGTERM: \(outcomes.statuses.count) responses, \(outcomes.servedWhileDraining) to journeys begun while draining, \(outcomes.servedAfterClose) finished after the listener closed; failures: \(outcomes.failures)"
                    )
                    #expect(outcomes.failures.isEmpty)
                    #expect(outcomes.statuses.allSatisfy { $0 < 500 }, "\(outcomes.statuses)")
                    #expect(outcomes.servedWhileDraining > 0)
                    #expect(outcomes.servedAfterClose > 0)
                    let output = try String(contentsOfFile: log, encoding: .utf8)
                    #expect(output.contains("draining before shutdown"))
                    // With the region gone, the health command says it cannot reach it.
                    let unreachable = try SpawnedProcess.start([binary, "health", "--url", base], environment: [:], output: treeFile + ".after")
                    #expect(try await unreachable.exitStatus(within: .seconds(20)) == 2)
                } catch {
                    process.signal(SIGKILL)
                    _ = try? await process.exitStatus(within: .seconds(5))
                    throw error
                }
            }
        }
    }

    enum DatabaseTrouble: String, CaseIterable, CustomTestStringConvertible {
        /// Nothing listens where the database should be: every connection attempt is refused.
        case down
        /// 400 ms away each way, with shoppers' requests in flight.
        case slow
        /// It accepts connections and never answers: every connection attempt is in flight when SIGTERM comes.
        case silent

        var testDescription: String { rawValue }
    }

    /// SIGTERM ends the process within the drain grace plus the stop timeout, exit status 0, whatever the
    /// database is doing.
    @Test(arguments: DatabaseTrouble.allCases)
    func sigtermEndsWithinItsBound(_ trouble: DatabaseTrouble) async throws {
        let binary = try SpawnedProcess.binary
        try await TestDatabase.withDatabase { database async throws in
            try await withDelayProxy(to: database.appURL.port, delay: trouble == .silent ? .seconds(60) : .zero) { proxy in
                let port = try freePort()
                let base = "http://127.0.0.1:\(port)"
                var appURL = database.appURL
                appURL.port = trouble == .down ? try freePort() : proxy.port
                var ownerURL = database.ownerURL
                ownerURL.port = appURL.port
                let log = "\(RenderedPage.artifacts)/sigterm-\(trouble.rawValue)-\(port).log"
                let grace = Duration.milliseconds(500)
                let stopTimeout = Duration.seconds(6)
                let process = try SpawnedProcess.start(
                    [binary, "serve"],
                    environment: appEnvironment(database).merging([
                        "STOREFRONT_PORT": String(port), "STOREFRONT_DATABASE_URL": urlString(appURL),
                        "STOREFRONT_MIGRATION_DATABASE_URL": urlString(ownerURL), "STOREFRONT_PROBE_INTERVAL_MS": "200",
                        "STOREFRONT_DRAIN_GRACE_MS": String(Int(grace.milliseconds)),
                        "STOREFRONT_STOP_TIMEOUT_MS": String(Int(stopTimeout.milliseconds)), "STOREFRONT_LOG_LEVEL": "info",
                    ]) { $1 },
                    output: log
                )
                do {
                    try await waitUntil("the binary answers", timeout: .seconds(30)) { try await Self.get("\(base)/health/live").0 == 200 }
                    if trouble == .slow {
                        try await waitUntil("the binary is ready", timeout: .seconds(30)) { try await Self.get("\(base)/health/ready").0 == 200 }
                        proxy.delay = .milliseconds(400)
                    } else {
                        // Start-up is retrying and the pool trying to connect once a probe round has failed to.
                        try await waitUntil("a probe round has found the database unreachable") {
                            let nodes = try await Self.get("\(base)/health").1["nodes"] as? [[String: Any]] ?? []
                            return nodes.contains { $0["id"] as? String == "signal:database.read_latency" && $0["status"] as? String == "unhealthy" }
                        }
                    }
                    let (status, took) = try await withThrowingTaskGroup(of: Void.self) { shoppers in
                        if trouble == .slow {
                            for _ in 0..<4 { shoppers.addTask { _ = try? await Self.send("POST", "\(base)/v1/carts") } }
                            try await waitUntil("the shoppers' requests are in flight") { try await Self.requestsInFlight(base) >= 5 }
                        }
                        let signalled = ContinuousClock.now
                        process.signal(SIGTERM)
                        let status = try await process.exitStatus(within: grace + stopTimeout + .seconds(10))
                        let took = ContinuousClock.now - signalled
                        try await shoppers.waitForAll()
                        return (status, took)
                    }
                    print("SIGTERM with the database \(trouble.rawValue): exit status \(status.map(String.init) ?? "none, killed") after \(took)")
                    // 0 only when the process's own clock saw the stop end within the drain grace and the stop
                    // timeout (70 otherwise): the bound is the product's, not this test's stopwatch.
                    #expect(status == 0, "see \(log)")
                } catch {
                    process.signal(SIGKILL)
                    _ = try? await process.exitStatus(within: .seconds(5))
                    throw error
                }
            }
        }
    }

    /// The server's own count of requests being served, this one included.
    static func requestsInFlight(_ base: String) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "\(base)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
        let line = text.split(separator: "\n").first { $0.hasPrefix("storefront_http_requests_in_flight ") }
        return line.flatMap { Double($0.split(separator: " ").last!) }.map { Int($0) } ?? 0
    }
}

/// Whether the test's transaction holds its lock yet.
final class LockHolder: Sendable {
    private let flag = Atomic<Bool>(false)
    var isTaken: Bool { flag.load(ordering: .acquiring) }
    func taken() { flag.store(true, ordering: .releasing) }
}
