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
            need the observer token in STOREFRONT_OBSERVER_TOKEN (not an option: a command line is public). \
            With --watch it keeps reading the model until interrupted, and a region it cannot reach is a line, \
            not an exit.
            """
    )

    @Option(help: "The region's base URL.") var url = "http://127.0.0.1:8080"
    @Flag(help: "Never colour the output (also when NO_COLOR is set or the output is not a terminal).") var noColor = false
    @Flag(help: "Keep watching: redraw the tree when it changes and print every state change as a line, until interrupted.")
    var watch = false
    @Option(help: "With --watch, seconds between two reads of the model.") var interval = 1.0

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

    func validate() throws {
        guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be from 0.1 to 3600 seconds") }
    }

    var base: String { url.hasSuffix("/") ? String(url.dropLast()) : url }

    func run() async throws {
        let colour = !noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1
        if watch { return try await watch(colour: colour) }
        let document: Document
        do {
            document = try await read()
        } catch {
            FileHandle.standardError.write(Data("cannot read \(base)/health: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print(render(document, colour: colour), terminator: "")
        if !document.ready { throw ExitCode(1) }
    }

    func read() async throws -> Document {
        var request = HTTPClientRequest(url: base + "/health")
        if let token = ProcessInfo.processInfo.environment["STOREFRONT_OBSERVER_TOKEN"], !token.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 << 20)
        return try JSONDecoder().decode(Document.self, from: Data(body.readableBytesView))
    }

    /// Reads the model every `interval`: on a terminal the tree is redrawn in place whenever a node's state or
    /// reason changes, with the latest change lines under it; otherwise (a pipe, a file) only the change lines
    /// are written, one per change, for grep and for the record.
    func watch(colour: Bool) async throws {
        let redraw = isatty(STDOUT_FILENO) == 1
        var previous: [String: (status: String, reason: String?)]?
        var lines: [String] = []
        var unreachable = false
        while true {
            let stamp = Date().formatted(.iso8601.time(includingFractionalSeconds: true))
            do {
                let document = try await read()
                let nodes = Self.flatten(document)
                var changed: [String] = []
                if unreachable { changed.append("\(stamp) \(base) answers again") }
                unreachable = false
                if let previous {
                    for (id, now) in nodes.sorted(by: { $0.key < $1.key }) where previous[id]?.status != now.status {
                        let from = previous[id]?.status ?? "(new)"
                        let line = "\(stamp) \(id) \(from) → \(now.status)" + (now.reason.map { ": \($0)" } ?? "")
                        changed.append(colour ? Self.paint(line, now.status) : line)
                    }
                }
                let reasonsMoved = previous.map { old in nodes.contains { old[$0.key]?.reason != $0.value.reason } } ?? true
                lines = Array((lines + changed).suffix(20))
                if redraw, !changed.isEmpty || reasonsMoved {
                    print(
                        "\u{1B}[H\u{1B}[2J" + render(document, colour: colour) + (lines.isEmpty ? "" : "\n" + lines.joined(separator: "\n") + "\n"),
                        terminator: ""
                    )
                } else if !redraw {
                    if previous == nil { print(render(document, colour: false), terminator: "") }
                    for line in changed { print(line) }
                }
                previous = nodes
            } catch {
                if !unreachable {
                    let line = "\(stamp) cannot read \(base)/health: \(error)"
                    lines = Array((lines + [line]).suffix(20))
                    print(line)
                }
                unreachable = true
            }
            fflush(nil)
            try await Task.sleep(for: .seconds(interval))
        }
    }

    /// Every node of the tree by id: its state and reason.
    static func flatten(_ document: Document) -> [String: (status: String, reason: String?)] {
        var nodes: [String: (status: String, reason: String?)] = [:]
        func walk(_ node: TreeNode) {
            nodes[node.id] = (node.status, node.reason)
            for child in node.children ?? [] { walk(child) }
        }
        if let tree = document.tree { walk(tree) }
        return nodes
    }

    static func paint(_ text: String, _ status: String) -> String {
        let code =
            switch status {
            case "healthy", "pass": "32"
            case "degraded", "warn": "33"
            default: "31"
            }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    func render(_ document: Document, colour: Bool) -> String {
        func paint(_ text: String, _ status: String) -> String { colour ? Self.paint(text, status) : text }
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
