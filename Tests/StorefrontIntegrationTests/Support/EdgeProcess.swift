import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StorefrontEdge
import StorefrontTestSupport

/// A real HAProxy running the edge configuration `storefront edge config` generates, for the regions given.
struct EdgeProcess: Sendable {
    let process: SpawnedProcess
    let port: Int
    let statsPort: Int
    let directory: String
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts HAProxy for `topology` (the edge's own continent `home`) and waits until it answers.
    static func start(
        _ topology: EdgeTopology,
        home: Continent = .northAmerica,
        cidr: String = "127.0.2.0/24 EU\n",
        rateLimits: [HAProxyConfig.RateLimit] = []
    ) async throws -> EdgeProcess {
        let directory = NSTemporaryDirectory() + "edge-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = try freePort()
        let statsPort = try freePort()
        var config = HAProxyConfig(
            topology: topology,
            bind: .init(host: "127.0.0.1", port: port),
            statsBind: .init(host: "127.0.0.1", port: statsPort),
            home: home,
            directory: directory
        )
        config.rateLimits = rateLimits
        let files = [
            "haproxy.cfg": config.configuration + "\n", "geo.map": HAProxyConfig.geoMap, "continents.map": HAProxyConfig.continentsMap,
            "closest.map": config.closestMap, "cidr.map": cidr,
        ]
        for (name, text) in files { try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8) }
        let process = try SpawnedProcess.start(
            ["/usr/sbin/haproxy", "-db", "-f", "\(directory)/haproxy.cfg"],
            environment: [:],
            output: "\(directory)/haproxy.log"
        )
        let edge = EdgeProcess(process: process, port: port, statsPort: statsPort, directory: directory)
        do {
            try await waitUntil("the edge answers", timeout: .seconds(10)) { try await ShutdownTests.get("\(edge.url)/edge/health").0 == 200 }
        } catch {
            await edge.stop()
            throw error
        }
        return edge
    }

    /// HAProxy's own account of the regions and their instances going down and up, and of each request it
    /// failed (the edge logs only those), for a test that fails.
    var stateChanges: [String] {
        let log = (try? String(contentsOfFile: "\(directory)/haproxy.log", encoding: .utf8)) ?? ""
        return log.split(separator: "\n").map(String.init).filter {
            ($0.hasPrefix("[WARNING]") && ($0.contains("checks_") || $0.contains("region_"))) || $0.contains(" trace_id=")
        }
    }

    func stop() async {
        process.signal(SIGTERM)
        _ = try? await process.exitStatus(within: .seconds(5))
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Once every region passed every flow's checks: before that a flow may still go to another region. On
    /// failure, what HAProxy saw of the checks.
    func waitUntilEveryCheckIsUp(timeout: Duration = .seconds(10)) async throws {
        do {
            try await waitUntil("every check of every region is up", timeout: timeout) {
                let checks = try await serverStates().filter { $0.key.hasPrefix("checks_") }
                return !checks.isEmpty && checks.values.allSatisfy { $0 == "UP" }
            }
        } catch {
            throw TestSetupError("\(error); HAProxy saw: \(stateChanges)")
        }
    }

    /// Each server's state ("UP", "DOWN", "no check", …) by HAProxy's own stats, keyed "proxy/server".
    func serverStates() async throws -> [String: String] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(statsPort)/stats;csv"), timeout: .seconds(5))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == .ok else { return [:] }
        let rows = body.dropFirst(2).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard let header = rows.first, let statusColumn = header.firstIndex(of: "status") else { return [:] }
        let servers = rows.dropFirst().filter { $0.count > statusColumn && !["FRONTEND", "BACKEND"].contains($0[1]) }
        return Dictionary(servers.map { ("\($0[0])/\($0[1])", String($0[statusColumn])) }, uniquingKeysWith: { first, _ in first })
    }

    /// A request through the edge: status, the region that answered, and `X-Edge-Route`.
    func send(_ method: String, _ path: String, headers: [(String, String)] = []) async throws -> (status: Int, region: String?, route: String?) {
        var request = HTTPClientRequest(url: url + path)
        request.method = .RAW(value: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        // A connection of its own each time, as shoppers' browsers are many: a connection the edge closed
        // after an error is not the next request's problem.
        request.headers.add(name: "Connection", value: "close")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers.first(name: "X-Region"), response.headers.first(name: "X-Edge-Route"))
    }
}

/// Runs `body` with an edge in front of synthetic regions named as in `table`, each region's address filled
/// in from its own listener.
func withEdge<Result: Sendable>(
    _ table: [(name: String, roundTrips: String)],
    home: Continent = .northAmerica,
    _ body: @Sendable (EdgeProcess, [String: SyntheticRegion]) async throws -> Result
) async throws -> Result {
    var regions: [String: SyntheticRegion] = [:]
    for (name, _) in table { regions[name] = try await SyntheticRegion.start(name) }
    let text = table.map { "\($0.name) 127.0.0.1:\(regions[$0.name]!.port) 1 \($0.roundTrips)" }.joined(separator: "\n")
    let edge: EdgeProcess
    do {
        edge = try await EdgeProcess.start(try EdgeTopology(parsing: text), home: home)
    } catch {
        for region in regions.values { await region.stop() }
        throw error
    }
    do {
        let result = try await body(edge, regions)
        await edge.stop()
        for region in regions.values { await region.stop() }
        return result
    } catch {
        await edge.stop()
        for region in regions.values { await region.stop() }
        throw error
    }
}
