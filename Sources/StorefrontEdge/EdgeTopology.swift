/// The regions an edge routes to and how far each is from each continent: one line a region, so adding a
/// region is one line.
///
///     # name        address           agent  round trips (ms) from each continent
///     us-east       127.0.0.11:8081   9081   NA=5 SA=120 EU=75 AF=180 AS=210 OC=200
///
/// `agent` is the port of the region's HAProxy agent (`STOREFRONT_AGENT_PORT`), on the address's host. A
/// region run by several instances lists each address, comma-separated, and either one agent port for all
/// (on each instance's host) or one for each: `127.0.0.11:8081,127.0.0.11:8091  9081,9091`.
public struct EdgeTopology: Sendable, Equatable {
    public struct Instance: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var agentPort: Int
    }

    public struct Region: Sendable, Equatable {
        public var name: String
        /// The storefront instances that serve the region; the first one's agent speaks for the region.
        public var instances: [Instance]
        /// Round trip in milliseconds from each continent.
        public var roundTrips: [Continent: Int]

        public var host: String { instances[0].host }
        public var port: Int { instances[0].port }
        public var agentPort: Int { instances[0].agentPort }
    }

    public var regions: [Region]

    public init(regions: [Region]) throws(EdgeError) {
        guard !regions.isEmpty else { throw .invalid("the table names no region") }
        var seen: Set<String> = []
        for region in regions {
            guard seen.insert(region.name).inserted else { throw .invalid("region \(region.name) is listed twice") }
            let missing = Continent.allCases.filter { region.roundTrips[$0] == nil }
            guard missing.isEmpty else {
                throw .invalid("region \(region.name) gives no round trip from \(missing.map(\.rawValue).joined(separator: ", "))")
            }
        }
        self.regions = regions
    }

    /// Parses the table; `#` starts a comment.
    public init(parsing text: String) throws(EdgeError) {
        var regions: [Region] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard !fields.isEmpty else { continue }
            func fail(_ why: String) -> EdgeError { .invalid("line \(number + 1): \(why)") }
            guard fields.count >= 3 else { throw fail("expected NAME HOST:PORT AGENT-PORT CONTINENT=MS …") }
            let name = fields[0]
            guard name.first?.isLetter == true, name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) else {
                throw fail("'\(name)' is not a region name (a-z, 0-9, dashes)")
            }
            var addresses: [(host: String, port: Int)] = []
            for text in fields[1].split(separator: ",", omittingEmptySubsequences: false) {
                let address = text.split(separator: ":")
                guard address.count == 2, let port = Int(address[1]), (1...65535).contains(port), !address[0].isEmpty else {
                    throw fail("'\(text)' is not HOST:PORT")
                }
                addresses.append((String(address[0]), port))
            }
            var agentPorts: [Int] = []
            for text in fields[2].split(separator: ",", omittingEmptySubsequences: false) {
                guard let agentPort = Int(text), (1...65535).contains(agentPort) else { throw fail("'\(text)' is not an agent port") }
                agentPorts.append(agentPort)
            }
            guard agentPorts.count == 1 || agentPorts.count == addresses.count else {
                throw fail("\(addresses.count) addresses but \(agentPorts.count) agent ports: give one for all, or one for each")
            }
            let instances = addresses.enumerated().map { index, address in
                Instance(host: address.host, port: address.port, agentPort: agentPorts.count == 1 ? agentPorts[0] : agentPorts[index])
            }
            guard Set(instances.map { "\($0.host):\($0.port)" }).count == instances.count else {
                throw fail("region \(name) lists an address twice")
            }
            var roundTrips: [Continent: Int] = [:]
            for pair in fields.dropFirst(3) {
                let parts = pair.split(separator: "=")
                guard parts.count == 2, let continent = Continent(rawValue: String(parts[0])), let milliseconds = Int(parts[1]),
                    milliseconds >= 0, milliseconds < 10_000
                else {
                    throw fail("'\(pair)' is not CONTINENT=MILLISECONDS (continents: \(Continent.allCases.map(\.rawValue).joined(separator: " ")))")
                }
                roundTrips[continent] = milliseconds
            }
            regions.append(Region(name: name, instances: instances, roundTrips: roundTrips))
        }
        try self.init(regions: regions)
    }

    /// The regions closest first, as seen from `continent`; equal round trips go by name.
    public func order(from continent: Continent) -> [Region] {
        regions.sorted { ($0.roundTrips[continent]!, $0.name) < ($1.roundTrips[continent]!, $1.name) }
    }

    public func region(named name: String) -> Region? { regions.first { $0.name == name } }
}

public enum EdgeError: Error, CustomStringConvertible, Equatable {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): message
        }
    }
}
