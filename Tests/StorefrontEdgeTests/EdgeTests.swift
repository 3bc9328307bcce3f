import Foundation
import Testing

@testable import StorefrontEdge

@Suite struct TopologyTests {
    static let table = """
        # name  address  agent  round trips
        us-east       127.0.0.11:8081  9081  NA=5   SA=120 EU=75  AF=190 AS=210 OC=200
        eu-west       127.0.0.12:8082  9082  NA=75  SA=190 EU=5   AF=90  AS=160 OC=280   # Ireland
        ap-southeast  127.0.0.13:8083  9083  NA=210 SA=330 EU=160 AF=240 AS=5   OC=90
        """

    @Test func eachContinentHasItsRegionsClosestFirst() throws {
        let topology = try EdgeTopology(parsing: Self.table)
        func order(_ continent: Continent) -> [String] { topology.order(from: continent).map(\.name) }
        #expect(order(.northAmerica) == ["us-east", "eu-west", "ap-southeast"])
        #expect(order(.europe) == ["eu-west", "us-east", "ap-southeast"])
        #expect(order(.asia) == ["ap-southeast", "eu-west", "us-east"])
        #expect(order(.southAmerica) == ["us-east", "eu-west", "ap-southeast"])
        #expect(order(.africa) == ["eu-west", "us-east", "ap-southeast"])
        #expect(order(.oceania) == ["ap-southeast", "us-east", "eu-west"])
        #expect(topology.regions[1].agentPort == 9082)
    }

    @Test func aRegionMayListSeveralInstancesWithOneAgentPortOrOneEach() throws {
        let topology = try EdgeTopology(
            parsing: """
                aa 10.0.0.1:80,10.0.0.2:80 9000 NA=5 SA=5 EU=5 AF=5 AS=5 OC=5
                bb 10.0.1.1:80,10.0.1.1:81 9000,9001 NA=5 SA=5 EU=5 AF=5 AS=5 OC=5
                """
        )
        #expect(topology.regions[0].instances.map(\.agentPort) == [9000, 9000])
        #expect(topology.regions[1].instances.map { "\($0.host):\($0.port)/\($0.agentPort)" } == ["10.0.1.1:80/9000", "10.0.1.1:81/9001"])
    }

    @Test func equalRoundTripsGoByName() throws {
        let topology = try EdgeTopology(
            parsing: """
                zz 10.0.0.1:80 9000 NA=5 SA=5 EU=5 AF=5 AS=5 OC=5
                aa 10.0.0.2:80 9000 NA=5 SA=5 EU=5 AF=5 AS=5 OC=5
                """
        )
        #expect(topology.order(from: .europe).map(\.name) == ["aa", "zz"])
    }

    @Test(arguments: [
        "", "# only a comment", "us-east 127.0.0.11:8081", "us-east 127.0.0.11 9081 NA=5", "US-East 127.0.0.11:8081 9081 NA=5",
        "us-east 127.0.0.11:8081 agent NA=5", "us-east 127.0.0.11:8081 9081 NA=5 SA=1 EU=1 AF=1 AS=1",
        "us-east 127.0.0.11:8081 9081 NA=5 SA=1 EU=1 AF=1 AS=1 OC=x", "us-east 127.0.0.11:8081 9081 NA=5 SA=1 EU=1 AF=1 AS=1 XX=3",
        "us-east 127.0.0.11:99999 9081 NA=5 SA=1 EU=1 AF=1 AS=1 OC=1",
        "a 1.1.1.1:1 1 NA=1 SA=1 EU=1 AF=1 AS=1 OC=1\na 1.1.1.2:1 1 NA=1 SA=1 EU=1 AF=1 AS=1 OC=1",
        // Several instances: an empty address, three addresses and two agents, one address twice.
        "a 1.1.1.1:1, 1 NA=1 SA=1 EU=1 AF=1 AS=1 OC=1", "a 1.1.1.1:1,1.1.1.2:1,1.1.1.3:1 7,8 NA=1 SA=1 EU=1 AF=1 AS=1 OC=1",
        "a 1.1.1.1:1,1.1.1.1:1 7 NA=1 SA=1 EU=1 AF=1 AS=1 OC=1",
    ])
    func aBadTableIsRefusedWithTheLine(_ text: String) {
        #expect(throws: EdgeError.self) { try EdgeTopology(parsing: text) }
    }
}

@Suite struct GeographyTests {
    @Test func countriesMapToTheirContinents() {
        #expect(Geography.continent(ofCountry: "us") == .northAmerica)
        #expect(Geography.continent(ofCountry: "DE") == .europe)
        #expect(Geography.continent(ofCountry: "JP") == .asia)
        #expect(Geography.continent(ofCountry: "BR") == .southAmerica)
        #expect(Geography.continent(ofCountry: "ZA") == .africa)
        #expect(Geography.continent(ofCountry: "AU") == .oceania)
        // Countries whose codes are also continent codes stay countries, as ISO 3166 has them.
        #expect(Geography.continent(ofCountry: "NA") == .africa)
        #expect(Geography.continent(ofCountry: "SA") == .asia)
        #expect(Geography.continent(ofCountry: "AS") == .oceania)
        #expect(Geography.continent(ofCountry: "EU") == .europe)
        #expect(Geography.continent(ofCountry: "XX") == nil)
    }

    @Test func everyCountryIsListedOnce() {
        #expect(Geography.countries.count >= 245)
        #expect(Geography.countries.keys.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isUppercase) })
    }
}

@Suite struct HAProxyConfigTests {
    static func config() throws -> HAProxyConfig {
        var config = HAProxyConfig(
            topology: try EdgeTopology(parsing: TopologyTests.table),
            bind: .init(host: "127.0.0.10", port: 8080),
            statsBind: .init(host: "127.0.0.10", port: 8405),
            home: .europe,
            directory: "/tmp/edge"
        )
        config.reach["ap-southeast"] = .init(host: "127.0.0.40", port: 9003)
        return config
    }

    static func backend(_ name: String, in text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "backend \(name)") else { return [] }
        return Array(lines[(start + 1)...].prefix { !$0.isEmpty })
    }

    @Test func browsingGoesToTheClosestRegionWithASliverToTheNextAndTheRestAsBackups() throws {
        let text = try Self.config().configuration
        let asia = Self.backend("AS_browse", in: text)
        #expect(asia.count == 4)
        #expect(asia[1].hasPrefix("    server ap-southeast 127.0.0.40:9003 track checks_browse/ap-southeast weight 256 agent-check"))
        #expect(asia[1].contains("agent-addr 127.0.0.13 agent-port 9083 agent-inter 1s agent-send \"browse\\n\""))
        #expect(asia[2] == "    server eu-west 127.0.0.12:8082 track checks_browse/eu-west weight 1")
        #expect(asia[3] == "    server us-east 127.0.0.11:8081 track checks_browse/us-east backup")
    }

    /// A compose network or a cluster names its regions: HAProxy resolves them while it runs, starts with a
    /// region it cannot resolve yet marked down, and asks each region's agent at the region itself.
    @Test func regionsNamedByHostAreResolvedAtRunTime() throws {
        let table =
            "us-east storefront-us-east:8080 9080 NA=5 EU=75 SA=1 AF=1 AS=1 OC=1\neu-west storefront-eu-west:8080 9080 NA=75 EU=5 SA=1 AF=1 AS=1 OC=1"
        var config = HAProxyConfig(
            topology: try EdgeTopology(parsing: table),
            bind: .init(host: "0.0.0.0", port: 8080),
            statsBind: .init(host: "0.0.0.0", port: 8405),
            home: .europe,
            directory: "/usr/local/etc/haproxy"
        )
        config.adminSocket = "/tmp/admin.sock"
        let text = config.configuration
        #expect(text.contains("resolvers dns\n    parse-resolv-conf"))
        #expect(text.contains("resolvers dns init-addr last,libc,none"))
        #expect(text.contains("stats socket /tmp/admin.sock "))
        #expect(text.contains("map(/usr/local/etc/haproxy/geo.map)"))
        let europe = Self.backend("EU_browse", in: text)
        #expect(europe[1].contains(" agent-check agent-port 9080 "))
        #expect(!text.contains("agent-addr"))
        // Addresses need no resolver.
        #expect(!(try Self.config().configuration).contains("resolvers"))
    }

    /// All active, so a retry can be redispatched to the next region; `first` keeps them in proximity order.
    @Test func cartsCheckoutsAndOrdersGoToTheClosestRegionThatIsUpInOrder() throws {
        let text = try Self.config().configuration
        for flow in ["cart", "checkout", "order_history"] {
            let europe = Self.backend("EU_\(flow)", in: text)
            #expect(
                europe == [
                    "    balance first",
                    "    server eu-west 127.0.0.12:8082 track checks_\(flow)/eu-west",
                    "    server us-east 127.0.0.11:8081 track checks_\(flow)/us-east",
                    "    server ap-southeast 127.0.0.40:9003 track checks_\(flow)/ap-southeast",
                ]
            )
        }
    }

    @Test func readinessIsCheckedPerFlowEveryHalfSecond() throws {
        let text = try Self.config().configuration
        #expect(text.contains("default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2 slowstart 10s"))
        for flow in HAProxyConfig.flows {
            let checks = Self.backend("checks_\(flow)", in: text)
            #expect(checks.contains("    http-check send meth GET uri /health/ready/\(flow)"))
            #expect(checks.filter { $0.hasSuffix(" check") }.count == 3)
        }
        #expect(text.contains("    http-request set-var(txn.flow) str(checkout) if { path /v1/orders } METH_POST"))
        #expect(text.contains("    http-request set-var(txn.flow) str(order_history) if { path_beg /v1/orders/ }"))
    }

    @Test func onlySafeRequestsAreRetriedElsewhereAndOnlyWithoutAnAnswerOrARefusal() throws {
        let text = try Self.config().configuration
        #expect(text.contains("    retry-on conn-failure empty-response 503"))
        #expect(!text.contains("response-timeout"))
        #expect(text.contains("    http-request disable-l7-retry if !METH_GET !{ req.hdr(Idempotency-Key) -m found }"))
    }

    @Test func withNoRegionReadyAFlowFailsOpenToTheClosestLiveRegion() throws {
        let text = try Self.config().configuration
        #expect(text.contains("    use_backend EU_cart_open if { var(txn.geo) -m str EU } { var(txn.flow) -m str cart } { nbsrv(EU_cart) eq 0 }"))
        let open = Self.backend("EU_cart_open", in: text)
        #expect(open.first == "    balance first")
        #expect(open.filter { $0.hasPrefix("    server ") }.map { $0.split(separator: " ")[1] } == ["eu-west", "us-east", "ap-southeast"])
        #expect(open.allSatisfy { !$0.hasPrefix("    server ") || $0.contains("track checks_live/") })
    }

    /// A region of several instances is one server in every continent's backend, as a region of one is: its
    /// own balancer, which spreads the region's requests over the instances ready for the flow, each weighted
    /// by its agent, and is up while any is.
    @Test func aRegionOfSeveralInstancesIsBalancedWithinItselfAndKeepsItsPlace() throws {
        let table = TopologyTests.table.replacingOccurrences(
            of: "127.0.0.12:8082  9082",
            with: "127.0.0.12:8082,127.0.0.12:8092,127.0.0.12:8102  9082,9092,9102"
        )
        var config = try Self.config()
        config.topology = try EdgeTopology(parsing: table)
        let text = config.configuration
        #expect(
            Self.backend("EU_cart", in: text) == [
                "    balance first",
                "    server eu-west abns@eu-west-cart track checks_balanced_cart/eu-west",
                "    server us-east 127.0.0.11:8081 track checks_cart/us-east",
                "    server ap-southeast 127.0.0.40:9003 track checks_cart/ap-southeast",
            ]
        )
        #expect(Self.backend("checks_balanced_cart", in: text).contains("    server eu-west abns@eu-west-cart check"))
        // A region's checks wait 2 s for an answer (busy is not down); an instance's, inside its region, 400 ms.
        #expect(text.components(separatedBy: "    timeout check 2s\n").count == 2, "once, in the defaults")
        #expect(!Self.backend("checks_balanced_cart", in: text).contains { $0.contains("timeout check") })
        #expect(Self.backend("checks_balanced_live", in: text).contains("    server eu-west abns@eu-west-live check"))
        #expect(!Self.backend("checks_cart", in: text).contains { $0.contains("eu-west") })
        #expect(Self.backend("EU_browse", in: text)[1].contains("agent-addr 127.0.0.12 agent-port 9082"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "listen region_eu-west_checkout"))
        let balancer = Array(lines[(start + 1)...].prefix { !$0.isEmpty })
        #expect(balancer.contains("    bind abns@eu-west-checkout"))
        #expect(balancer.contains("    timeout check 400ms"))
        #expect(balancer.contains("    http-check send meth GET uri /health/ready/checkout"))
        #expect(
            balancer.filter { $0.hasPrefix("    server ") } == [
                "    server eu-west-1 127.0.0.12:8082 check agent-check agent-port 9082 agent-inter 1s agent-send \"checkout\\n\"",
                "    server eu-west-2 127.0.0.12:8092 check agent-check agent-port 9092 agent-inter 1s agent-send \"checkout\\n\"",
                "    server eu-west-3 127.0.0.12:8102 check agent-check agent-port 9102 agent-inter 1s agent-send \"checkout\\n\"",
                // With none passing its check, all of them unchecked: busy is not gone.
                "    server eu-west-1-open 127.0.0.12:8082 backup",
                "    server eu-west-2-open 127.0.0.12:8092 backup",
                "    server eu-west-3-open 127.0.0.12:8102 backup",
            ]
        )
        #expect(balancer.contains("    option allbackups"))
        // A region of one instance has no balancer: its configuration is what it was.
        #expect(!text.contains("listen region_us-east"))
    }

    /// The other regions reach a region through one entry balanced over its live instances, which leaves a
    /// forward's headers as they came.
    @Test func aPeerEntryBalancesTheRegionsLiveInstances() throws {
        var config = try Self.config()
        config.topology = try EdgeTopology(
            parsing: TopologyTests.table.replacingOccurrences(of: "127.0.0.12:8082  9082", with: "west-1:8080,west-2:8080  9080")
        )
        config.peerEntries["eu-west"] = .init(host: "0.0.0.0", port: 8182)
        let text = config.configuration
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "frontend peers_eu-west"))
        #expect(
            Array(lines[(start + 1)...].prefix { !$0.isEmpty }) == [
                "    bind 0.0.0.0:8182",
                "    http-request disable-l7-retry if !METH_GET !{ req.hdr(Idempotency-Key) -m found }",
                "    default_backend peers_eu-west",
            ]
        )
        let backend = Self.backend("peers_eu-west", in: text)
        #expect(backend.contains("    http-check send meth GET uri /health/live"))
        #expect(
            backend.filter { $0.hasPrefix("    server ") } == [
                "    server eu-west-1 west-1:8080 check", "    server eu-west-2 west-2:8080 check",
                "    server eu-west-1-open west-1:8080 backup", "    server eu-west-2-open west-2:8080 backup",
            ]
        )
        #expect(backend.contains("    option allbackups"))
        #expect(!text.contains("peers_us-east"), "only the regions given an entry")
    }

    /// HAProxy resolves an agent's address only when it starts: a region of several instances named by host
    /// asks no agent at the region's level, and each instance's agent still weights it in its balancer.
    @Test func aRegionOfSeveralInstancesNamedByHostAsksItsAgentsWithinItself() throws {
        var config = try Self.config()
        config.reach = [:]
        config.topology = try EdgeTopology(
            parsing: TopologyTests.table.replacingOccurrences(of: "127.0.0.12:8082  9082", with: "west-1:8080,west-2:8080  9080")
        )
        let text = config.configuration
        let europe = Self.backend("EU_browse", in: text)
        #expect(europe[1] == "    server eu-west abns@eu-west-browse track checks_balanced_browse/eu-west weight 256")
        #expect(text.contains("    server eu-west-2 west-2:8080 check agent-check agent-port 9080 agent-inter 1s agent-send \"browse\\n\""))
    }

    @Test func theMapsCoverEveryCountryAndContinent() throws {
        let geo = HAProxyConfig.geoMap.split(separator: "\n")
        #expect(geo.contains("DE EU"))
        #expect(geo.contains("NA AF"))
        #expect(geo.contains("EU EU"))
        #expect(HAProxyConfig.continentsMap.split(separator: "\n").contains("NA NA"))
        #expect(try Self.config().closestMap == "NA us-east\nSA us-east\nEU eu-west\nAF eu-west\nAS ap-southeast\nOC ap-southeast\n")
    }
}
