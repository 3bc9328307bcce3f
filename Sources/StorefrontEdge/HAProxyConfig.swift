/// The HAProxy configuration of one edge (a point of presence), generated from the topology.
///
/// - A shopper's continent comes from `X-Client-Geo` (a country), else `X-Client-Continent`, else the client
///   address through `cidr.map`, else the edge's own continent.
/// - A request's flow comes from its path and method: catalog reads are `browse`, `/v1/carts…` is `cart`,
///   `POST /v1/orders` is `checkout`, `/v1/orders/…` is `order_history`.
/// - Each continent and flow has a backend. Browsing: the closest region carries the traffic with a weight
///   of 256, the next closest takes a sliver with 1, and a larger share when the closest turns degraded (its
///   agent lowers its weight); the others are backups in order. Carts, checkouts and orders go to the
///   closest region that is up (`balance first`), all regions active so a retry can reach another. A region is in a flow's backend while its
///   `/health/ready/<flow>` answers 200, checked every 500 ms (fall 2, rise 2), and comes back with a 10 s
///   slow start. A check fails at once on a refusal and after 2 s on silence: busy is not down.
/// - No region ready for the flow: the request fails open to the closest region whose `/health/live`
///   answers, marked `fail-open` in `X-Edge-Route`.
/// - Retries go to another region when the first gave no answer (connection refused or reset, empty
///   response) or refused the request (`503`: shed at capacity, or its database unavailable), and only for
///   GET, HEAD and writes carrying an `Idempotency-Key`: those the store answers the same however often
///   they arrive.
/// - A region of several instances is one server in each backend: its own balancer over its instances
///   (`regionBalancer`). Per-client write limits are counted here (`rateLimits`), and the other regions may
///   reach a region through a peer entry (`peerEntries`).
public struct HAProxyConfig: Sendable {
    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        var text: String { "\(host):\(port)" }
    }

    public var topology: EdgeTopology
    /// Where shoppers connect.
    public var bind: Endpoint
    /// Where Prometheus scrapes `/metrics` and people read `/stats`.
    public var statsBind: Endpoint
    /// The continent of shoppers nothing else places: the edge's own.
    public var home: Continent
    /// The folder holding `geo.map`, `continents.map`, `cidr.map`, `closest.map` and the admin socket.
    public var directory: String
    /// Where this edge reaches each region; the topology's address unless overridden (the geo lab goes
    /// through delay proxies).
    public var reach: [String: Endpoint] = [:]
    /// HAProxy's admin socket; in `directory` unless set (a container mounts that folder read-only).
    public var adminSocket: String?
    /// The share of requests whose trace the edge marks sampled, in ten-thousandths (100 is 1 %): the
    /// regions follow the edge's flag, as they follow any trusted caller's.
    public var traceSamplePerTenThousand = 100

    /// A per-client limit the edge keeps on one kind of write: at most `requests` in any `seconds`.
    public struct RateLimit: Sendable, Equatable {
        /// `cart_create`, `cart_write` or `checkout`, as the storefront names its own limits.
        public var kind: String
        public var requests: Int
        public var seconds: Int

        public init(kind: String, requests: Int, seconds: Int) {
            self.kind = kind
            self.requests = requests
            self.seconds = seconds
        }

        /// The requests each kind counts, as HAProxy conditions.
        static let conditions = [
            "cart_create": "METH_POST { path /v1/carts }",
            "cart_write": "!METH_GET !METH_HEAD { path_beg /v1/carts/ }",
            "checkout": "METH_POST { path /v1/orders }",
        ]
    }

    /// Counted here, by client address, because every request of a client passes the edge whatever region
    /// and instance serves it: a limit kept in each instance's memory grows with the instance count. Empty:
    /// none (each storefront still keeps its own, for whoever reaches it directly).
    public var rateLimits: [RateLimit] = []

    /// Where the other regions reach a region's API (their peer probes, their forwards to a cart's home):
    /// region name → the address to listen on. One entry per region, balanced over its live instances, for
    /// a deployment with no internal entry of its own (compose; Kubernetes has a Service per region): a peer
    /// named by one instance would look dead when that instance died, and its carts be adopted.
    public var peerEntries: [String: Endpoint] = [:]

    public static let flows = ["browse", "cart", "checkout", "order_history"]
    /// The weight of a continent's closest region; the next closest has 1.
    public static let closestWeight = 256

    public init(topology: EdgeTopology, bind: Endpoint, statsBind: Endpoint, home: Continent, directory: String) {
        self.topology = topology
        self.bind = bind
        self.statsBind = statsBind
        self.home = home
        self.directory = directory
    }

    func endpoint(_ region: EdgeTopology.Region) -> Endpoint { reach[region.name] ?? Endpoint(host: region.host, port: region.port) }

    /// Where a continent's backend sends a region's requests of `check` (a flow, or `live`): the region's one
    /// instance, or the region's own balancer over its instances (`regionBalancer`), reached inside HAProxy.
    func address(_ region: EdgeTopology.Region, _ check: String) -> String {
        region.instances.count == 1 ? endpoint(region).text : "abns@\(region.name)-\(check)"
    }

    /// The backend that checks a region for `check` (a flow, or `live`).
    func checks(_ region: EdgeTopology.Region, _ check: String) -> String {
        region.instances.count == 1 ? "checks_\(check)" : "checks_balanced_\(check)"
    }

    /// A region run by several instances has, for each flow and for `live`, a balancer of its own: its
    /// instances, each checked on its own and weighted by its own agent, so the region is up while any
    /// instance is ready and its requests spread over those that are. The continents' backends see the
    /// balancer as the region's one server, so the order of regions, the retries to another region and
    /// the fail-open stay what they are for a region of one instance.
    ///
    /// When no instance passes its own check, the balancer fails open to all of them, unchecked (the
    /// `-open` backups): instances too busy to answer a check within its timeout are slow, not gone, and a
    /// balancer that answered 503 itself would turn a region-wide rush into an outage and push its shoppers
    /// onto the next region. The region's own check (`checks_balanced_*`) then sees the instances' answer
    /// through the backups: ready but slow keeps the region in; unready, refused or silent takes it out.
    func regionBalancer(_ region: EdgeTopology.Region, _ check: String) -> [String] {
        let uri = check == "live" ? "/health/live" : "/health/ready/\(check)"
        var lines = [
            "listen region_\(region.name)_\(check)", "    bind abns@\(region.name)-\(check)", "    balance roundrobin", "    option allbackups",
            "    timeout check 400ms", "    option httpchk", "    http-check send meth GET uri \(uri)", "    http-check expect status 200",
        ]
        lines += instanceServers(region) { instance in
            check == "live" ? "" : " agent-check agent-port \(instance.agentPort) agent-inter 1s agent-send \"\(check)\\n\""
        }
        return lines + [""]
    }

    /// A region's instances in a balancer of HAProxy's: each checked on its own (with `agent` added to its
    /// line), then each again, unchecked, as a backup, which the balancer (`option allbackups`) uses only
    /// while no instance passes its check.
    func instanceServers(_ region: EdgeTopology.Region, agent: (EdgeTopology.Instance) -> String = { _ in "" }) -> [String] {
        let instances = region.instances.enumerated()
        return instances.map { index, instance in "    server \(region.name)-\(index + 1) \(instance.host):\(instance.port) check\(agent(instance))" }
            + instances.map { index, instance in "    server \(region.name)-\(index + 1)-open \(instance.host):\(instance.port) backup" }
    }

    /// `haproxy.cfg`.
    public var configuration: String {
        var lines: [String] = []
        lines += [
            "# Generated by `storefront edge config` from the region table: edit the table, not this file.",
            "global",
            // Requests are logged only when they fail (`dontlog-normal`), each with its trace id.
            "    log stdout format raw daemon info",
            "    stats socket \(adminSocket ?? "\(directory)/admin.sock") mode 600 level admin",
            "",
        ]
        // Regions named by host name (a compose network, a cluster's DNS) are resolved when HAProxy starts
        // if they can be, and again while it runs; a region not resolvable yet starts down, not as an error.
        let byName = topology.regions.contains { region in
            region.instances.count == 1 ? !Self.isAddress(endpoint(region).host) : region.instances.contains { !Self.isAddress($0.host) }
        }
        if byName { lines += ["resolvers dns", "    parse-resolv-conf", "    hold valid 10s", ""] }
        lines += [
            "defaults",
            "    mode http",
            "    log global",
            "    option dontlognull",
            "    option dontlog-normal",
            "    option forwardfor",
            "    timeout connect 1s",
            "    timeout client 30s",
            "    timeout server 30s",
            "    timeout http-request 10s",
            "    timeout http-keep-alive 30s",
            "    timeout queue 5s",
            // A region's check: a region that refuses or cannot be reached fails at once (the connect
            // phase has min(timeout connect, inter)); one that accepts and is slow to answer is busy, or
            // hung, and the edge waits 2 s before counting it a failure, so that a region saturated by a rush
            // stays in rotation. An instance's check inside its region's balancer keeps 400 ms.
            "    timeout check 2s",
            // Another region when the first gave no answer (a connection that failed, or closed empty) or
            // refused (503): a shed request, or one its database could not serve.
            "    retries 2",
            "    option redispatch 1",
            "    retry-on conn-failure empty-response 503",
            "    default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2 slowstart 10s"
                + (byName ? " resolvers dns init-addr last,libc,none" : ""),
            "",
            "frontend shoppers",
            "    bind \(bind.text)",
            "    monitor-uri /edge/health",
            "    # Where the shopper is: the CDN's country, else its continent, else the client address, else here.",
            "    http-request set-var(txn.geo) req.hdr(X-Client-Geo),upper,map(\(directory)/geo.map) if { req.hdr(X-Client-Geo) -m found }",
            "    http-request set-var(txn.geo) req.hdr(X-Client-Continent),upper,map(\(directory)/continents.map) if !{ var(txn.geo) -m found } { req.hdr(X-Client-Continent) -m found }",
            "    http-request set-var(txn.geo) src,map_ip(\(directory)/cidr.map) if !{ var(txn.geo) -m found }",
            "    http-request set-var(txn.geo) str(\(home.rawValue)) if !{ var(txn.geo) -m found }",
            "    http-request set-var(txn.closest) var(txn.geo),map(\(directory)/closest.map)",
            "    # Which flow the request belongs to, as the regions' readiness is per flow.",
            "    http-request set-var(txn.flow) str(browse)",
            "    http-request set-var(txn.flow) str(cart) if { path_beg /v1/carts }",
            "    http-request set-var(txn.flow) str(checkout) if { path /v1/orders } METH_POST",
            "    http-request set-var(txn.flow) str(order_history) if { path_beg /v1/orders/ }",
            "    # A write may go to a second region only with an Idempotency-Key: the store then answers it once.",
            "    http-request disable-l7-retry if !METH_GET !{ req.hdr(Idempotency-Key) -m found }",
            "    http-request set-header X-Request-ID %[uuid] unless { req.hdr(X-Request-ID) -m found }",
            "    # Every request starts its trace here, the trust boundary: a client's traceparent would choose the",
            "    # regions' sampling and could write into another's trace. The edge's span id names this hop.",
            "    http-request set-var(txn.trace_id) uuid(4),regsub(-,,g)",
            "    http-request set-var(txn.trace_flags) str(00)",
            "    http-request set-var(txn.trace_flags) str(01) if { rand(10000) lt \(traceSamplePerTenThousand) }",
            "    http-request set-header traceparent 00-%[var(txn.trace_id)]-%[rand,hex,lower,regsub(^00000000,)]%[rand,hex,lower,regsub(^00000000,)]-%[var(txn.trace_flags)]",
            "    http-request del-header tracestate",
            "    http-request set-var(txn.request_id) req.hdr(X-Request-ID)",
        ]
        lines += rateLimitRules
        lines += [
            "    log-format \"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %{+Q}r trace_id=%[var(txn.trace_id)] request_id=%[var(txn.request_id)]\"",
            "    http-response set-var(txn.failover) str(no)",
            "    http-response set-var(txn.failover) str(yes) if !{ srv_name,strcmp(txn.closest) eq 0 }",
            "    http-response set-header X-Edge-Route \"geo=%[var(txn.geo)]; flow=%[var(txn.flow)]; region=%[srv_name]; failover=%[var(txn.failover)]%[var(txn.open)]\"",
        ]
        for continent in Continent.allCases {
            for flow in Self.flows {
                let name = "\(continent.rawValue)_\(flow)"
                lines.append(
                    "    use_backend \(name)_open if { var(txn.geo) -m str \(continent.rawValue) } { var(txn.flow) -m str \(flow) } { nbsrv(\(name)) eq 0 }"
                )
            }
        }
        lines += ["    use_backend %[var(txn.geo)]_%[var(txn.flow)]", ""]

        for limit in rateLimits {
            // IPv6 keys hold IPv4 addresses too; a client idle past twice the window is forgotten.
            lines += [
                "backend limit_\(limit.kind)",
                "    stick-table type ipv6 size 1m expire \(limit.seconds * 2)s store http_req_rate(\(limit.seconds)s)", "",
            ]
        }
        lines += [
            "frontend edge_metrics",
            "    bind \(statsBind.text)",
            "    http-request use-service prometheus-exporter if { path /metrics }",
            "    stats enable",
            "    stats uri /stats",
            "    stats refresh 2s",
            "",
        ]

        // One health check per region and flow, shared by every continent's backend through `track`.
        let single = topology.regions.filter { $0.instances.count == 1 }
        let balanced = topology.regions.filter { $0.instances.count > 1 }
        for check in Self.flows + ["live"] {
            let uri = check == "live" ? "/health/live" : "/health/ready/\(check)"
            let head = ["    option httpchk", "    http-check send meth GET uri \(uri)", "    http-check expect status 200"]
            if !single.isEmpty {
                lines += ["backend checks_\(check)"] + head
                for region in single { lines.append("    server \(region.name) \(address(region, check)) check") }
                lines.append("")
            }
            if !balanced.isEmpty {
                // Through the region's balancer: an instance's own check judges it, quicker, and takes it out
                // while others serve; with none passing, the balancer fails open to them all and this check
                // sees their answer.
                lines += ["backend checks_balanced_\(check)"] + head
                for region in balanced { lines.append("    server \(region.name) \(address(region, check)) check") }
                lines.append("")
            }
        }
        for region in balanced {
            for check in Self.flows + ["live"] { lines += regionBalancer(region, check) }
        }

        lines += peerEntryLines

        for continent in Continent.allCases {
            let order = topology.order(from: continent)
            for flow in Self.flows {
                lines.append("backend \(continent.rawValue)_\(flow)")
                if flow == "browse" {
                    lines += spillingServers(order, flow: flow)
                } else {
                    // A cart, a checkout or an order belongs where it lives: every region is active so that a
                    // safe retry can leave one that gave no answer (HAProxy redispatches only among active
                    // servers), and `first` sends everything to the closest that is up.
                    lines.append("    balance first")
                    for region in order {
                        lines.append("    server \(region.name) \(address(region, flow)) track \(checks(region, flow))/\(region.name)")
                    }
                }
                lines.append("")
                lines += [
                    "backend \(continent.rawValue)_\(flow)_open", "    balance first", "    http-request set-var(txn.open) str(\"; fail-open\")",
                ]
                for region in order {
                    lines.append("    server \(region.name) \(address(region, "live")) track \(checks(region, "live"))/\(region.name)")
                }
                lines.append("")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Each peer entry: a frontend of its own (no geography, no new trace: a forward's `traceparent` and its
    /// peer secret pass as they came) and a backend over the region's instances that answer `/health/live`,
    /// failing open to all of them as a region's balancer does: an entry that answered 503 itself while its
    /// instances were only busy would make the other regions take this one for dead and adopt its carts.
    var peerEntryLines: [String] {
        var lines: [String] = []
        for region in topology.regions {
            guard let entry = peerEntries[region.name] else { continue }
            lines += [
                "frontend peers_\(region.name)", "    bind \(entry.text)",
                "    http-request disable-l7-retry if !METH_GET !{ req.hdr(Idempotency-Key) -m found }",
                "    default_backend peers_\(region.name)", "", "backend peers_\(region.name)", "    balance roundrobin",
                "    option allbackups", "    timeout check 400ms", "    option httpchk", "    http-check send meth GET uri /health/live",
                "    http-check expect status 200",
            ]
            lines += instanceServers(region)
            lines.append("")
        }
        return lines
    }

    /// Each limit tracked by client address in its own table (HAProxy tracks three counters at once, one per
    /// kind), and a request over it answered here with the storefront's own problem document.
    var rateLimitRules: [String] {
        guard !rateLimits.isEmpty else { return [] }
        var lines = ["    # Per-client write limits, the same whatever region or instance serves the client."]
        for (counter, limit) in rateLimits.enumerated() {
            guard let condition = RateLimit.conditions[limit.kind] else { continue }
            let detail =
                "This client may make \(limit.requests) \(limit.kind.split(separator: "_").joined(separator: " ")) requests in \(limit.seconds) s."
            let problem =
                #"{\"type\":\"https://storefront.example/problems/too-many-requests\",\"title\":\"Too many requests\",\"status\":429,"#
                + #"\"detail\":\"\#(detail)\",\"trace_id\":\"%[var(txn.trace_id)]\"}"#
            lines += [
                "    http-request track-sc\(counter) src table limit_\(limit.kind) if \(condition)",
                "    http-request return status 429 content-type application/problem+json hdr Retry-After \(limit.seconds) "
                    + "hdr X-Request-ID %[var(txn.request_id)] lf-string \"\(problem)\" if \(condition) { sc_http_req_rate(\(counter)) gt \(limit.requests) }",
            ]
        }
        return lines
    }

    /// The closest region carries the flow with a weight its agent lowers when it is degraded; the next
    /// closest takes the rest; the others stand by in order.
    func spillingServers(_ order: [EdgeTopology.Region], flow: String) -> [String] {
        var lines = ["    balance roundrobin"]
        for (rank, region) in order.enumerated() {
            var server = "    server \(region.name) \(address(region, flow)) track \(checks(region, flow))/\(region.name)"
            switch rank {
            case 0:
                server += " weight \(Self.closestWeight)"
                // The agent runs beside the region, which the edge may reach through something else (a delay
                // proxy, the region's balancer); the first instance's speaks for the region. HAProxy takes an
                // agent address only as one it can resolve when it starts: a region of several instances
                // named by host (a compose network) spills on degradation only within itself, by its
                // instances' agents.
                let direct = address(region, flow) == "\(region.host):\(region.port)"
                if direct || Self.isAddress(region.host) {
                    let agentAddress = direct ? "" : " agent-addr \(region.host)"
                    server += " agent-check\(agentAddress) agent-port \(region.agentPort) agent-inter 1s agent-send \"\(flow)\\n\""
                }
            case 1: server += " weight 1"
            default: server += " backup"
            }
            lines.append(server)
        }
        return lines
    }

    /// An IPv4 or IPv6 literal rather than a host name (whose last label is never all digits).
    static func isAddress(_ host: String) -> Bool {
        host.contains(":") || host.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
    }

    /// `geo.map`: every country code, and the continent codes no country has, to a continent.
    public static var geoMap: String {
        (Geography.countries.map { "\($0.key) \($0.value.rawValue)" } + ["EU EU", "OC OC"]).sorted().joined(separator: "\n") + "\n"
    }

    /// `continents.map`: the continent codes a CDN sends (Antarctica's goes with Oceania).
    public static var continentsMap: String {
        (Continent.allCases.map { "\($0.rawValue) \($0.rawValue)" } + ["AN OC"]).sorted().joined(separator: "\n") + "\n"
    }

    /// `closest.map`: each continent's closest region, so a response can say whether it failed over.
    public var closestMap: String {
        Continent.allCases.map { "\($0.rawValue) \(topology.order(from: $0)[0].name)" }.joined(separator: "\n") + "\n"
    }
}
