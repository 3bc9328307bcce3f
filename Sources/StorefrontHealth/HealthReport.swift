import Foundation

/// One evaluation of the model: every node's state and, for every node that is not healthy, why and what it
/// takes down with it. Probes answer from the latest report; nothing in it is computed on the request path.
public struct HealthReport: Sendable {
    public enum Kind: String, Sendable {
        case region, flow, component, signal
    }

    public struct Node: Sendable, Identifiable {
        public var id: String
        public var kind: Kind
        public var status: HealthStatus
        /// When the state last changed.
        public var since: Date?
        /// Why the node is not healthy, in words; nil when healthy.
        public var reason: String?
        /// The signals at the bottom of the trouble.
        public var rootSignals: [String]
        /// The flows this node's trouble reaches.
        public var impactedFlows: [String]
        /// The nodes this node's state is taken from.
        public var dependsOn: [String]
        /// For signals: which one, and its latest sample.
        public var signal: SignalID?
        public var sample: SignalSample?
    }

    public var region: String
    public var time: Date
    public var instant: ContinuousClock.Instant
    /// Start-up steps still outstanding; empty once the region has started.
    public var startupPending: [String]
    public var nodes: [Node]

    public var started: Bool { startupPending.isEmpty }

    public subscript(id: String) -> Node? { nodes.first { $0.id == id } }

    /// The given flows that are unhealthy, with their nodes: what keeps the region, or a flow, unready.
    public func unhealthyFlows(among flows: [Flow] = Flow.allCases) -> [(flow: Flow, node: Node)] {
        flows.compactMap { flow in self[Self.flowID(flow)].flatMap { $0.status == .unhealthy ? (flow, $0) : nil } }
    }

    public static func flowID(_ flow: Flow) -> String { "flow:\(flow.rawValue)" }
    public static func componentID(_ component: Component) -> String { "component:\(component.rawValue)" }
    public static func signalID(_ signal: SignalID) -> String { "signal:\(signal)" }
    public static let regionID = "region"
}

extension HealthReport {
    /// Evaluates the model from each signal's tracker at `now`. A signal whose latest sample is older than
    /// `staleAfter` is at least degraded (the prober is behind), and older than `stuckAfter` unhealthy: a
    /// prober that hangs must not freeze a green answer, and one slowed by a rush must not take the region out.
    public static func evaluate(
        model: HealthModel,
        trackers: [SignalID: SignalTracker],
        startupPending: [String],
        previous: HealthReport?,
        staleAfter: Duration,
        stuckAfter: Duration,
        now: Date = Date(),
        instant: ContinuousClock.Instant = .now
    ) -> HealthReport {
        var signalStatus: [SignalID: HealthStatus] = [:]
        var nodes: [Node] = []
        func since(_ id: String, _ status: HealthStatus, fallback: Date?) -> Date? {
            if let old = previous?[id], old.status == status { return old.since }
            return fallback ?? now
        }
        func isStale(_ sample: SignalSample) -> Bool { instant - sample.instant > staleAfter }
        func isStuck(_ sample: SignalSample) -> Bool { instant - sample.instant > stuckAfter }

        for signal in model.signals {
            let tracker = trackers[signal]
            let status = tracker?.status ?? .unhealthy
            signalStatus[signal] =
                switch tracker?.latest {
                case let latest? where isStuck(latest): .unhealthy
                case let latest? where isStale(latest): max(status, .degraded)
                default: status
                }
        }
        /// The signal at the bottom of a troubled signal's trouble: itself, or the troubled signal that kept it
        /// from being measured when it took its state (and while that one recovers, still that one).
        func root(_ signal: SignalID) -> SignalID {
            guard let tracker = trackers[signal], let latest = tracker.latest, !isStale(latest),
                let cause = tracker.cause?.consequenceOf, (signalStatus[cause] ?? .healthy) > .healthy
            else { return signal }
            return cause
        }

        for signal in model.signals {
            let tracker = trackers[signal]
            let status = signalStatus[signal]!
            var reason = tracker?.explanation ?? "not sampled yet"
            var changed = tracker?.since
            if let sample = tracker?.latest, isStale(sample) {
                let age = (instant - sample.instant).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))
                reason =
                    isStuck(sample)
                    ? "no sample for \(age): the prober is stuck"
                    : "no sample for \(age): the prober is behind (busy, or stuck if it lasts \(stuckAfter.secondsText))"
                changed = nil
            } else if root(signal) != signal {
                reason += " (because \(root(signal)) is \(signalStatus[root(signal)]!))"
            }
            let id = signalID(signal)
            nodes.append(
                Node(
                    id: id,
                    kind: .signal,
                    status: status,
                    since: since(id, status, fallback: changed),
                    reason: status == .healthy ? nil : reason,
                    rootSignals: status == .healthy ? [] : [root(signal).description],
                    impactedFlows: [],
                    dependsOn: [],
                    signal: signal,
                    sample: tracker?.latest
                )
            )
        }
        let reasons = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.reason) })
        /// How much of a signal's trouble reaches what depends on it.
        func effect(_ signal: SignalID) -> HealthStatus { min(signalStatus[signal] ?? .unhealthy, signal.ceiling) }

        func aggregate(_ id: String, kind: Kind, over signals: [SignalID], dependsOn: [String]) -> Node {
            let status = signals.map(effect).max() ?? .healthy
            let troubled = signals.filter { effect($0) > .healthy }
            let roots = Set(troubled.map(root)).sorted()
            // The reason names the worst signals that are their own roots, or the consequences when only they are.
            let worstAll = troubled.filter { effect($0) == status }
            let worstRoots = worstAll.filter { root($0) == $0 }
            let worst = worstRoots.isEmpty ? worstAll : worstRoots
            let reason = worst.map { "\($0): \(reasons[signalID($0)].flatMap(\.self) ?? "")" }.joined(separator: "; ")
            return Node(
                id: id,
                kind: kind,
                status: status,
                since: since(id, status, fallback: nil),
                reason: status == .healthy ? nil : reason,
                rootSignals: roots.map(\.description),
                impactedFlows: [],
                dependsOn: dependsOn,
                signal: nil,
                sample: nil
            )
        }

        for component in Component.allCases {
            let signals = model.signals.filter { $0.component == component }
            nodes.append(aggregate(componentID(component), kind: .component, over: signals, dependsOn: signals.map(signalID)))
        }
        for flow in Flow.allCases {
            let signals = model.dependencies[flow] ?? []
            let components = Set(signals.map(\.component)).sorted().map(componentID)
            nodes.append(aggregate(flowID(flow), kind: .flow, over: signals, dependsOn: components))
        }
        nodes.append(
            aggregate(
                regionID,
                kind: .region,
                over: model.signals,
                dependsOn: Flow.allCases.map(flowID) + Component.allCases.map(componentID)
            )
        )

        // The cascade: which troubled flows each node's root signals reach.
        let troubledFlows = Flow.allCases.filter { flow in nodes.first { $0.id == flowID(flow) }!.status > .healthy }
        for index in nodes.indices where nodes[index].status > .healthy {
            if nodes[index].kind == .flow {
                nodes[index].impactedFlows = [String(nodes[index].id.dropFirst("flow:".count))]
                continue
            }
            let roots = Set(nodes[index].rootSignals)
            nodes[index].impactedFlows = troubledFlows.filter { flow in
                (model.dependencies[flow] ?? []).contains { roots.contains($0.description) && effect($0) > .healthy }
            }.map(\.rawValue)
        }
        return HealthReport(region: model.region, time: now, instant: instant, startupPending: startupPending, nodes: nodes)
    }

    /// Nodes whose state differs from `previous`, for the log.
    public func changes(since previous: HealthReport?) -> [(node: Node, from: HealthStatus?)] {
        nodes.compactMap { node in
            let old = previous?[node.id]?.status
            return old == node.status ? nil : (node, old)
        }
    }
}
