import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import StorefrontCore
import StorefrontHealth

/// Answers HAProxy's agent check, so the edge weighs this region by its health model: HAProxy connects,
/// sends the flow it routes (`checkout\n`, or nothing for the whole region), and reads one line back.
/// Readiness (up or down) is the HTTP check's business; the agent only says how much traffic the region
/// should get while it is up: all of it when healthy, 2 % of its weight when degraded — against the next
/// region's sliver that moves about a sixth of its browsing there, while it stays in rotation — and `drain`
/// while draining.
public struct EdgeAgent: Service {
    let monitor: HealthMonitor
    let host: String
    let port: Int
    let logger: Logger
    public static let degradedWeight = 2

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("edge agent listening", metadata: ["address": "\(host):\(port)"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await answer(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    /// Reads what HAProxy sent (at most a line, for at most a second) and answers.
    private func answer(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { inbound, outbound in
            let request =
                (try? await withDeadline(.seconds(1)) {
                    var text = ""
                    for try await buffer in inbound {
                        text += String(buffer: buffer)
                        if text.contains("\n") || text.count > 64 { break }
                    }
                    return text
                }) ?? ""
            let flow = Flow(rawValue: request.trimmingCharacters(in: .whitespacesAndNewlines))
            try await outbound.write(ByteBuffer(string: Self.answer(monitor, flow: flow)))
        }
    }

    /// The agent's line for `flow`, or for the whole region.
    public static func answer(_ monitor: HealthMonitor, flow: Flow?) -> String {
        if monitor.activeDrain() != nil { return "drain\n" }
        guard let report = monitor.latest else { return "ready 100%\n" }
        let status = report[flow.map(HealthReport.flowID) ?? HealthReport.regionID]?.status ?? .healthy
        return status == .healthy ? "ready 100%\n" : "ready \(degradedWeight)%\n"
    }
}
