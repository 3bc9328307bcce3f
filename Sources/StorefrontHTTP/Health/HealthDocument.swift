import Foundation
import StorefrontCore
import StorefrontHealth

/// The whole model as `application/health+json` (draft-inadarei-api-health-check): the draft's `status`,
/// `checks` and `output`, and this service's own fields — readiness, drain, every node, and the tree.
///
/// The draft's own fields keep its camelCase names; the fields it leaves to the service are snake_case.
struct HealthDocument: Encodable {
    var status: String
    var version = "1"
    var serviceId: String
    var description: String
    var output: String?
    var notes: [String]
    var checks: [String: [Check]]
    var region: String
    var ready: Bool
    var started: Bool
    var draining: DrainBody?
    var evaluatedAt: Date?
    var nodes: [NodeBody]
    var tree: TreeNode?

    struct Check: Encodable {
        var componentId: String?
        var componentType: String
        var observedValue: Double?
        var observedUnit: String
        var status: String
        var state: String
        var since: Date?
        var time: Date
        var output: String?
        var affectedEndpoints: [String]?
    }

    struct DrainBody: Encodable {
        var reason: String
        var requestedBy: String
        var since: Date
        var until: Date?

        init(_ drain: Drain) {
            reason = drain.reason
            requestedBy = drain.requestedBy
            since = drain.since
            until = drain.until
        }

        enum CodingKeys: String, CodingKey {
            case reason, since, until
            case requestedBy = "requested_by"
        }
    }

    struct NodeBody: Encodable {
        var id: String
        var kind: String
        var status: String
        var since: Date?
        var reason: String?
        var rootSignals: [String]
        var impactedFlows: [String]
        var dependsOn: [String]
        var observedValue: Double?
        var observedUnit: String?

        init(_ node: HealthReport.Node) {
            id = node.id
            kind = node.kind.rawValue
            status = node.status.description
            since = node.since
            reason = node.reason
            rootSignals = node.rootSignals
            impactedFlows = node.impactedFlows
            dependsOn = node.dependsOn
            observedValue = node.sample?.value
            observedUnit = node.sample?.unit
        }

        func redacted() -> NodeBody {
            var node = self
            node.reason = nil
            node.observedValue = nil
            node.observedUnit = nil
            return node
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, status, since, reason
            case rootSignals = "root_signals"
            case impactedFlows = "impacted_flows"
            case dependsOn = "depends_on"
            case observedValue = "observed_value"
            case observedUnit = "observed_unit"
        }
    }

    /// The model for a person: region, then flows and components, then each component's signals. A flow
    /// names the components it depends on rather than repeating them, so every node appears once.
    final class TreeNode: Encodable {
        var node: NodeBody
        var children: [TreeNode]

        init(_ node: HealthReport.Node, children: [TreeNode]) {
            self.node = NodeBody(node)
            self.children = children
        }

        private init(node: NodeBody, children: [TreeNode]) {
            self.node = node
            self.children = children
        }

        func redacted() -> TreeNode { TreeNode(node: node.redacted(), children: children.map { $0.redacted() }) }

        func encode(to encoder: any Encoder) throws {
            try node.encode(to: encoder)
            var container = encoder.container(keyedBy: ChildKey.self)
            if !children.isEmpty { try container.encode(children, forKey: .children) }
        }

        enum ChildKey: String, CodingKey { case children }
    }

    /// What anyone may read: every node's status, since when, and what it impacts — enough to draw the
    /// model and to page someone — without the reasons and figures (error kinds, peer names, pool sizes,
    /// lag) or who asked for a drain. The notes stay: they are the readiness probe's public reasons.
    func redacted() -> HealthDocument {
        var document = self
        document.output = nil
        document.draining?.requestedBy = "redacted"
        document.checks = checks.mapValues { checks in
            checks.map { check in
                var check = check
                check.componentId = nil
                check.observedValue = nil
                check.output = nil
                return check
            }
        }
        document.nodes = nodes.map { $0.redacted() }
        document.tree = tree?.redacted()
        return document
    }

    enum CodingKeys: String, CodingKey {
        case status, version, serviceId, description, output, notes, checks, region, ready, started, draining, nodes, tree
        case evaluatedAt = "evaluated_at"
    }

    init(
        report: HealthReport?,
        model: HealthModel,
        readiness: HealthMonitor.Verdict,
        started: Bool,
        drain: Drain?,
        endpoints: (Flow) -> [String]
    ) {
        region = model.region
        serviceId = "storefront-\(model.region)"
        description = "Storefront region \(model.region)"
        self.ready = readiness.ok
        self.started = started
        draining = drain.map(DrainBody.init)
        notes = readiness.reasons
        evaluatedAt = report?.time
        guard let report, let regionNode = report[HealthReport.regionID] else {
            status = HealthStatus.unhealthy.checkStatus
            output = "no health evaluation yet"
            checks = [:]
            nodes = []
            return
        }
        // Not ready is a failure to whoever reads the document, whatever the nodes say.
        status = readiness.ok ? regionNode.status.checkStatus : HealthStatus.unhealthy.checkStatus
        output = readiness.ok ? regionNode.reason : readiness.reasons.joined(separator: "; ")
        nodes = report.nodes.map(NodeBody.init)

        var checks: [String: [Check]] = [:]
        for node in report.nodes where node.kind == .signal {
            guard let sample = node.sample, let signal = node.signal else { continue }
            let flows = signal.component == .api ? [Flow(rawValue: signal.subject ?? "")].compactMap(\.self) : model.flows(dependingOn: signal)
            checks["\(signal.component.rawValue):\(signal.measurement)", default: []].append(
                Check(
                    componentId: signal.subject,
                    componentType: signal.component == .database ? "datastore" : "component",
                    observedValue: sample.value,
                    observedUnit: sample.unit,
                    status: node.status.checkStatus,
                    state: node.status.description,
                    since: node.since,
                    time: sample.time,
                    output: node.reason ?? sample.output,
                    affectedEndpoints: node.status == .healthy ? nil : flows.flatMap(endpoints)
                )
            )
        }
        self.checks = checks

        let byID = Dictionary(uniqueKeysWithValues: report.nodes.map { ($0.id, $0) })
        let components = Component.allCases.compactMap { byID[HealthReport.componentID($0)] }.map { component in
            TreeNode(component, children: component.dependsOn.compactMap { byID[$0] }.map { TreeNode($0, children: []) })
        }
        let flows = Flow.allCases.compactMap { byID[HealthReport.flowID($0)] }.map { TreeNode($0, children: []) }
        tree = TreeNode(regionNode, children: flows + components)
    }
}
