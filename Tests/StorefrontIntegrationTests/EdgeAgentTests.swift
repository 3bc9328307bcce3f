import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOPosix
import StorefrontApp
import StorefrontHealth
import StorefrontTestSupport
import Testing

/// The HAProxy agent a region answers on `STOREFRONT_AGENT_PORT`.
@Suite struct EdgeAgentTests {
    /// Connects, sends `request`, returns the line the agent answers.
    static func ask(port: Int, _ request: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var answer = ""
            for try await buffer in inbound { answer += String(buffer: buffer) }
            return answer
        }
    }

    @Test func theAgentGivesFullWeightWhenHealthyAndDrainsWithTheRegion() async throws {
        let port = try freePort()
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database, environment: ["STOREFRONT_AGENT_PORT": String(port)]) { client in
                // The suite's other tests load the machine: a busy round may degrade a flow for a moment
                // (weight 5 %), so full weight is awaited rather than read once.
                try await waitUntilHealthy(client)
                try await waitUntil("the agent gives checkout full weight", timeout: .seconds(10)) {
                    try await Self.ask(port: port, "checkout\n") == "ready 100%\n"
                }
                try await waitUntil("the agent gives the region full weight", timeout: .seconds(10)) {
                    try await Self.ask(port: port, "") == "ready 100%\n"
                }
                let drained = try await client.execute(
                    uri: "/v1/admin/drain",
                    method: .post,
                    headers: [.authorization: "Bearer \(Shopper.adminToken)", .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"reason": "edge agent test"}"#)
                )
                #expect(drained.status == .ok)
                #expect(try await Self.ask(port: port, "browse\n") == "drain\n")
            }
        }
    }

    @Test func aDegradedFlowGetsAFraction() {
        let monitor = HealthMonitor(model: HealthModel(region: "us-east", catalogHome: "us-east", peers: []))
        monitor.markMigrated()
        monitor.markCatalogLoaded()
        for signal in [SignalID.databaseRead, .databaseWrite, .poolWait] {
            monitor.record(SignalSample(value: 1, unit: "ms", status: .healthy, output: "fine"), for: signal)
        }
        for flow in Flow.allCases {
            monitor.record(SignalSample(value: 0, unit: "ratio", status: .healthy, output: "fine"), for: .errorRatio(flow))
            monitor.record(SignalSample(value: 0, unit: "ms", status: flow == .checkout ? .degraded : .healthy, output: "slow"), for: .p99(flow))
        }
        monitor.completeRound()
        #expect(EdgeAgent.answer(monitor, flow: .checkout) == "ready \(EdgeAgent.degradedWeight)%\n")
        #expect(EdgeAgent.answer(monitor, flow: .browse) == "ready 100%\n")
    }
}
