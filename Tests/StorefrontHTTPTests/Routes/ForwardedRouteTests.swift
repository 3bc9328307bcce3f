import Foundation
import HTTPTypes
import HummingbirdTesting
import StorefrontHealth
import StorefrontTestSupport
import Testing

/// A region as the home of what a peer forwards to it: it serves a forwarded request only for a flow it is
/// ready for, and says which flow it refused, so that the sender adopts instead of passing a 503 on.
@Suite struct ForwardedRouteTests {
    static let secret = "route-test-peer-secret-0123456789"

    func forwarded(_ app: RouteTestApp, _ cart: Shopper.OpenedCart, secret: String = secret) async throws -> TestResponse {
        try await app.shopper.client.execute(
            uri: "/v1/carts/\(cart.id)",
            method: .get,
            headers: [.cartToken: cart.token, .forwardedBy: "eu-west", .peerSecret: secret],
            body: nil
        )
    }

    /// One probe round as the prober would record it: every signal healthy but `troubled`.
    func round(_ monitor: HealthMonitor, troubled: [SignalID]) {
        monitor.markMigrated()
        monitor.markCatalogLoaded()
        for signal in HealthModel(region: "us-east", catalogHome: "us-east", peers: []).signals {
            let status: HealthStatus = troubled.contains(signal) ? .unhealthy : .healthy
            monitor.record(SignalSample(value: 1, unit: "ms", status: status, output: "scripted"), for: signal)
        }
        monitor.completeRound()
    }

    @Test func aHomeServesAForwardedRequestOnlyForAFlowItIsReadyFor() async throws {
        try await RouteTestApp.test(peerSecret: Self.secret) { app in
            let cart = try await app.shopper.openCart()
            let unready = try await forwarded(app, cart)
            #expect(unready.status == .serviceUnavailable, "nothing probed yet: ready for no flow")
            #expect(unready.headers[HTTPField.Name("Storefront-Home-Unready")!] == "cart")
            // The region's own shoppers are served whatever its readiness: the edge decides where they go.
            #expect(try await app.shopper.cart(cart).status == .ok)

            // Writes failing: ready to browse, not for carts.
            round(app.monitor, troubled: [.databaseWrite])
            #expect(app.monitor.readiness(for: .browse).ok && !app.monitor.readiness(for: .cart).ok)
            #expect(try await forwarded(app, cart).headers[HTTPField.Name("Storefront-Home-Unready")!] == "cart")

            round(app.monitor, troubled: [])
            let served = try await forwarded(app, cart)
            #expect(served.status == .ok)
            #expect(try served.json()["id"] as? String == cart.id)

            let stranger = try await forwarded(app, cart, secret: "not-the-peer-secret-0123456789")
            #expect(stranger.status == .forbidden)
        }
    }
}
