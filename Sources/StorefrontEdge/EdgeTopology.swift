/// The regions an edge routes to and how far each is from each continent: one line a region, so adding a
/// region is one line.
///
///     # name        address           agent  round trips (ms) from each continent
///     us-east       127.0.0.11:8081   9081   NA=5 SA=120 EU=75 AF=180 AS=210 OC=200
///
/// `agent` is the port of the region's HAProxy agent (`STOREFRONT_AGENT_PORT`), on the address's host.
public struct EdgeTopology: Sendable, Equatable {
    public struct Region: Sendable, Equatable {
        public var name: String
        public var host: String
        public var port: Int
        public var agentPort: Int
        /// Round trip in milliseconds from each continent.
        public var roundTrips: [Continent: Int]
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
            let address = fields[1].split(separator: ":")
            guard address.count == 2, let port = Int(address[1]), (1...65535).contains(port), !address[0].isEmpty else {
                throw fail("'\(fields[1])' is not HOST:PORT")
            }
            guard let agentPort = Int(fields[2]), (1...65535).contains(agentPort) else { throw fail("'\(fields[2])' is not an agent port") }
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
            regions.append(Region(name: name, host: String(address[0]), port: port, agentPort: agentPort, roundTrips: roundTrips))
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
