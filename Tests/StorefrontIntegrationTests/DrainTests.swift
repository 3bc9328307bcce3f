import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import StorefrontCore
import StorefrontTestSupport
import Testing

@Suite struct DrainTests {
    static let admin: HTTPFields = [.authorization: "Bearer \(Shopper.adminToken)", .contentType: "application/json"]

    func drain(_ client: any TestClientProtocol, _ body: String, headers: HTTPFields = admin) async throws -> TestResponse {
        try await client.execute(uri: "/v1/admin/drain", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func drainingNeedsTheAdminTokenAndAReason() async throws {
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                #expect(try await drain(client, #"{"reason": "x"}"#, headers: [.contentType: "application/json"]).status == .unauthorized)
                #expect(
                    try await drain(
                        client,
                        #"{"reason": "x"}"#,
                        headers: [.authorization: "Bearer wrong-token-0123456789", .contentType: "application/json"]
                    ).status == .unauthorized
                )
                for body in [
                    #"{}"#, #"{"reason": "  "}"#, #"{"reason": "x", "expires_in_seconds": 0}"#,
                    #"{"reason": "x", "expires_in_seconds": 9999999}"#, #"{"reason": 5}"#, "not json",
                    #"{"reason": "\#(String(repeating: "a", count: 201))"}"#, #"{"reason": "x", "requested_by": ""}"#,
                ] {
                    let response = try await drain(client, body)
                    #expect(response.status == .badRequest || response.status == .unprocessableContent, "\(body): \(response.status)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
                #expect(
                    try await drain(client, #"{"reason": "x"}"#, headers: [.authorization: "Bearer \(Shopper.adminToken)"]).status
                        == .unsupportedMediaType
                )
                // None of that drained the region.
                let ready = try await client.get("/health/ready")
                #expect(ready.status == .ok, "\(String(buffer: ready.body))")
            }
        }
    }

    /// Readiness turns 503 at once, the drain is visible with its reason, who and until when, and every
    /// request that reaches the region meanwhile is still served.
    @Test func aDrainedRegionKeepsServingWhatReachesIt() async throws {
        let sku = CatalogOracle().products[3].variants[1].sku
        try await TestDatabase.withDatabase { database async throws in
            try await withTestApp(database) { client in
                let shopper = Shopper(client: client)
                try await shopper.setStock(sku, 100_000)
                let load = LoadRecord()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<6 {
                        group.addTask {
                            while !load.stopped {
                                let duringDrain = load.draining
                                let cart = try await shopper.openCart()
                                let set = try await shopper.set(sku, quantity: 1, in: cart)
                                let checkout = try await shopper.checkout(cart)
                                let browse = try await client.get("/v1/products?size=eu:42")
                                load.add([set.status.code, checkout.status.code, browse.status.code], whileDraining: duringDrain)
                            }
                        }
                    }
                    try await waitUntil("the shoppers are buying") { !load.outcomes.statuses.isEmpty }
                    let drained = try await drain(client, #"{"reason": "database upgrade", "requested_by": "alice", "expires_in_seconds": 600}"#)
                    #expect(drained.status == .ok)
                    load.startDrain()
                    #expect(try drained.json()["draining"] as? Bool == true)
                    let ready = try await client.get("/health/ready")
                    #expect(ready.status == .serviceUnavailable)
                    #expect((try ready.json()["reasons"] as? [String])?.contains("draining: database upgrade") == true)
                    #expect(try await client.get("/health/ready/browse").status == .serviceUnavailable)
                    #expect(try await client.get("/health/live").status == .ok)
                    let document = try await client.get("/health").json()
                    let draining = try #require(document["draining"] as? [String: Any])
                    #expect(draining["reason"] as? String == "database upgrade")
                    #expect(draining["requested_by"] as? String == "alice")
                    let since = try #require((draining["since"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
                    let until = try #require((draining["until"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
                    #expect(abs(until.timeIntervalSince(since) - 600) < 2)
                    #expect(document["ready"] as? Bool == false)
                    // Shoppers who reach the region while it drains are served.
                    try await waitUntil("journeys begun during the drain are served", timeout: .seconds(30)) { load.outcomes.servedWhileDraining > 0 }
                    load.endDrain()
                    let undrained = try await client.execute(uri: "/v1/admin/undrain", method: .post, headers: Self.admin, body: nil)
                    #expect(undrained.status == .ok)
                    let readyAgain = try await client.get("/health/ready")
                    #expect(readyAgain.status == .ok, "\(String(buffer: readyAgain.body))")
                    try await Task.sleep(for: .milliseconds(200))
                    load.stop()
                    try await group.waitForAll()
                }
                let outcomes = load.outcomes
                let all = outcomes.statuses
                print("served \(all.count) requests, \(outcomes.servedWhileDraining) of them to shoppers who began while draining")
                #expect(outcomes.servedWhileDraining > 0)
                #expect(all.allSatisfy { $0 < 500 }, "\(Dictionary(grouping: all, by: { $0 }).mapValues(\.count))")
            }
        }
    }
}
