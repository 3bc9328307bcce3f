import ArgumentParser
import Foundation
import StorefrontEdge
import StorefrontHTTP

struct Edge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The edge's HAProxy configuration, generated from the region table.",
        subcommands: [EdgeConfig.self, EdgeRoutes.self]
    )
}

struct EdgeTableOption: ParsableArguments {
    @Option(help: "The region table: NAME HOST:PORT AGENT-PORT CONTINENT=MS … per line.")
    var regions = "edge/regions"
    @Option(help: "Only these regions of the table, comma-separated (the lab may run fewer).")
    var only: String?

    func topology() throws -> EdgeTopology {
        let text: String
        do {
            text = try String(contentsOfFile: regions, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(regions): \(error.localizedDescription)")
        }
        do {
            let topology = try EdgeTopology(parsing: text)
            guard let only else { return topology }
            let names = only.split(separator: ",").map(String.init)
            for name in names where topology.region(named: name) == nil { throw ValidationError("--only: no region \(name) in \(regions)") }
            return try EdgeTopology(regions: topology.regions.filter { names.contains($0.name) })
        } catch let error as EdgeError {
            throw ValidationError("\(regions): \(error)")
        }
    }
}

struct EdgeConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Write haproxy.cfg and its maps (geo, continents, closest, cidr) into a folder."
    )

    @OptionGroup var table: EdgeTableOption
    @Option(help: "Where shoppers connect, HOST:PORT.") var bind = "127.0.0.10:8080"
    @Option(help: "Where /metrics (Prometheus) and /stats are served, HOST:PORT.") var stats = "127.0.0.10:8405"
    @Option(help: "This edge's continent: shoppers nothing else places are routed from here.") var home = "NA"
    @Option(help: "Client address ranges and their continents, one `CIDR CONTINENT` a line.") var cidr = "edge/cidr.map"
    @Option(help: "Reach a region at another address (a delay proxy): NAME=HOST:PORT, repeatable.") var reach: [String] = []
    @Option(help: "The folder to write into (created if missing).") var out: String
    @Option(help: "Where HAProxy finds that folder's files when it runs, if not there (a container's mount).") var directory: String?
    @Option(help: "HAProxy's admin socket (default: admin.sock in the folder).") var adminSocket: String?
    @Option(
        help:
            "Per-client write limits the edge keeps, as STOREFRONT_RATE_LIMITS writes them (`off`, or name=requests/seconds,…; default: the storefront's)."
    )
    var rateLimits: String?
    @Option(help: "An entry for the other regions to reach a region by (its instances balanced): NAME=HOST:PORT, repeatable.")
    var peerEntry: [String] = []

    func run() throws {
        let topology = try table.topology()
        guard let continent = Continent(rawValue: home) else { throw ValidationError("--home must be one of \(Continent.allCases.map(\.rawValue))") }
        let out = URL(fileURLWithPath: out).standardizedFileURL.path
        var config = HAProxyConfig(
            topology: topology,
            bind: try endpoint(bind, "--bind"),
            statsBind: try endpoint(stats, "--stats"),
            home: continent,
            directory: directory ?? out
        )
        config.adminSocket = adminSocket
        do {
            config.rateLimits = try RateLimitPolicy.parse(rateLimits).map {
                HAProxyConfig.RateLimit(kind: $0.kind.rawValue, requests: $0.requests, seconds: $0.seconds)
            }
        } catch {
            throw ValidationError("--rate-limits: \(error)")
        }
        for entry in reach {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let region = topology.region(named: parts[0]) else {
                throw ValidationError("--reach \(entry): not NAME=HOST:PORT of a region in the table")
            }
            guard region.instances.count == 1 else {
                throw ValidationError("--reach \(entry): region \(region.name) has several instances; reach each through its own address")
            }
            config.reach[parts[0]] = try endpoint(parts[1], "--reach")
        }
        for entry in peerEntry {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, topology.region(named: parts[0]) != nil else {
                throw ValidationError("--peer-entry \(entry): not NAME=HOST:PORT of a region in the table")
            }
            config.peerEntries[parts[0]] = try endpoint(parts[1], "--peer-entry")
        }
        let cidrText: String
        do {
            cidrText = try String(contentsOfFile: cidr, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(cidr): \(error.localizedDescription)")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let files = [
            "haproxy.cfg": config.configuration + "\n", "geo.map": HAProxyConfig.geoMap, "continents.map": HAProxyConfig.continentsMap,
            "closest.map": config.closestMap, "cidr.map": cidrText,
        ]
        for (name, text) in files { try text.write(toFile: "\(out)/\(name)", atomically: true, encoding: .utf8) }
        print("wrote \(files.keys.sorted().joined(separator: ", ")) into \(out)")
    }

    func endpoint(_ text: String, _ option: String) throws -> HAProxyConfig.Endpoint {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else {
            throw ValidationError("\(option) \(text) is not HOST:PORT")
        }
        return .init(host: String(parts[0]), port: port)
    }
}

struct EdgeRoutes: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "routes", abstract: "Each continent's regions, closest first, with round trips.")
    @OptionGroup var table: EdgeTableOption

    func run() throws {
        let topology = try table.topology()
        for continent in Continent.allCases {
            let order = topology.order(from: continent).map { "\($0.name) (\($0.roundTrips[continent]!) ms)" }
            print("\(continent.rawValue): \(order.joined(separator: " → "))")
        }
    }
}
