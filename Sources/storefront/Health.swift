import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `storefront health`: a region's health model as a coloured tree, for an operator at a terminal.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a region's health model as a tree: every node's state, why, and what it impacts.",
        discussion: """
            Exits 0 when the region is ready, 1 when it is not, 2 when it cannot be reached. Reasons and figures \
            need the observer token in STOREFRONT_OBSERVER_TOKEN (not an option: a command line is public).
            """
    )

    @Option(help: "The region's base URL.") var url = "http://127.0.0.1:8080"
    @Flag(help: "Never colour the output (also when NO_COLOR is set or the output is not a terminal).") var noColor = false

    struct Document: Decodable {
        var status: String
        var region: String
        var ready: Bool
        var notes: [String]
        var draining: DrainBody?
        var tree: TreeNode?
    }

    struct DrainBody: Decodable {
        var reason: String
        var requested_by: String
        var until: String?
    }

    final class TreeNode: Decodable {
        var id: String
        var status: String
        var reason: String?
        var since: String?
        var impacted_flows: [String]
        var depends_on: [String]
        var observed_value: Double?
        var observed_unit: String?
        var children: [TreeNode]?
    }

    func run() async throws {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let document: Document
        do {
            var request = HTTPClientRequest(url: base + "/health")
            if let token = ProcessInfo.processInfo.environment["STOREFRONT_OBSERVER_TOKEN"], !token.isEmpty {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 4 << 20)
            document = try JSONDecoder().decode(Document.self, from: Data(body.readableBytesView))
        } catch {
            FileHandle.standardError.write(Data("cannot read \(base)/health: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let colour = !noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1
        print(render(document, colour: colour), terminator: "")
        if !document.ready { throw ExitCode(1) }
    }

    func render(_ document: Document, colour: Bool) -> String {
        func paint(_ text: String, _ status: String) -> String {
            guard colour else { return text }
            let code =
                switch status {
                case "healthy", "pass": "32"
                case "degraded", "warn": "33"
                default: "31"
                }
            return "\u{1B}[\(code)m\(text)\u{1B}[0m"
        }
        var out = "\(document.region): " + paint(document.ready ? "ready" : "NOT READY", document.ready ? "pass" : "fail") + "\n"
        if let drain = document.draining {
            out += "  draining: \(drain.reason) (by \(drain.requested_by)\(drain.until.map { ", until \($0)" } ?? ""))\n"
        }
        for note in document.notes where document.draining == nil || !note.hasPrefix("draining") { out += "  \(note)\n" }
        func walk(_ node: TreeNode, prefix: String, last: Bool, root: Bool) {
            let branch = root ? "" : prefix + (last ? "└─ " : "├─ ")
            let indent = root ? "    " : prefix + (last ? "   " : "│  ") + "    "
            var line = branch + paint("● \(node.id)", node.status) + " " + paint(node.status, node.status)
            if let value = node.observed_value, let unit = node.observed_unit {
                line +=
                    unit == "ratio"
                    ? "  \((value * 100).formatted(.number.precision(.fractionLength(0...1)))) %"
                    : "  \(value.formatted(.number.precision(.fractionLength(0...2)))) \(unit)"
            }
            if node.id.hasPrefix("flow:") && !node.depends_on.isEmpty {
                line += "  ← " + node.depends_on.map { $0.replacingOccurrences(of: "component:", with: "") }.joined(separator: ", ")
            }
            if node.status != "healthy" {
                if let reason = node.reason { line += "\n\(indent)why: \(reason)" }
                if !node.impacted_flows.isEmpty && !node.id.hasPrefix("flow:") {
                    line += "\n\(indent)impacts: \(node.impacted_flows.joined(separator: ", "))"
                }
                if let since = node.since { line += "\n\(indent)since: \(since)" }
            }
            out += line + "\n"
            let children = node.children ?? []
            for (index, child) in children.enumerated() {
                walk(child, prefix: root ? "" : prefix + (last ? "   " : "│  "), last: index == children.count - 1, root: false)
            }
        }
        if let tree = document.tree { walk(tree, prefix: "", last: true, root: true) }
        return out
    }
}
