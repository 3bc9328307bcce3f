import ArgumentParser
import DelayProxy
import Foundation
import NIOCore
import ServiceLifecycle
import UnixSignals

/// Distance on one machine: every link of the geo lab (an edge point of presence to a region, a region to
/// another region's database or API) is a TCP proxy that holds bytes for half the round trip each way.
/// This kernel has no `netem`; where one exists, it would do the same job.
struct DelayProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delay-proxy",
        abstract: "Forward TCP links with a delay each way, until SIGTERM: LISTEN=TARGET@MILLISECONDS, repeatable."
    )

    @Option(name: .customLong("link"), help: "HOST:PORT=HOST:PORT@MS: listen on the first, forward to the second, MS each way.")
    var links: [String]
    @Option(help: "A file of `LISTEN-HOST:PORT MILLISECONDS` lines, read every 250 ms: a link's new delay, while it runs.")
    var delays: String?

    struct Link {
        var listenHost: String
        var listenPort: Int
        var target: SocketAddress
        var delay: Duration
    }

    func parse() throws -> [Link] {
        try links.map { text in
            let at = text.split(separator: "@").map(String.init)
            let ends = at.first?.split(separator: "=").map(String.init) ?? []
            guard at.count == 2, ends.count == 2, let milliseconds = Double(at[1]), milliseconds >= 0, milliseconds < 10_000,
                let listen = Self.hostPort(ends[0]), let target = Self.hostPort(ends[1])
            else { throw ValidationError("--link \(text) is not HOST:PORT=HOST:PORT@MILLISECONDS") }
            return Link(
                listenHost: listen.host,
                listenPort: listen.port,
                target: try SocketAddress(ipAddress: target.host, port: target.port),
                delay: .microseconds(Int64(milliseconds * 1000))
            )
        }
    }

    static func hostPort(_ text: String) -> (host: String, port: Int)? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        return (String(parts[0]), port)
    }

    mutating func validate() throws {
        guard !links.isEmpty else { throw ValidationError("give at least one --link") }
        _ = try parse()
    }

    func run() async throws {
        var proxies: [DelayProxy] = []
        for link in try parse() {
            proxies.append(try await DelayProxy(listen: link.listenHost, port: link.listenPort, target: link.target, delay: link.delay))
        }
        print("forwarding \(proxies.count) links")
        let byListen = Dictionary(uniqueKeysWithValues: zip(try parse().map { "\($0.listenHost):\($0.listenPort)" }, proxies))
        let delays = delays
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { break }
            }
            if let delays {
                group.addTask {
                    while !Task.isCancelled {
                        for (listen, delay) in Self.readDelays(delays) { byListen[listen]?.delay = delay }
                        try? await Task.sleep(for: .milliseconds(250))
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        for proxy in proxies { await proxy.close() }
    }

    static func readDelays(_ path: String) -> [(String, Duration)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 2, let milliseconds = Double(fields[1]), milliseconds >= 0 else { return nil }
            return (String(fields[0]), .microseconds(Int64(milliseconds * 1000)))
        }
    }
}
