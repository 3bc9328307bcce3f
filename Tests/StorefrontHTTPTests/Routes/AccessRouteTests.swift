import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import StorefrontCore
import StorefrontHTTP
import StorefrontHealth
import StorefrontTestSupport
import Testing

/// Who may call what, and what every answer carries, over a store in memory.
@Suite struct AccessRouteTests {
    @Test func adminCallsNeedTheAdminTokenAndDetailsTheObserverToken() async throws {
        try await RouteTestApp.test { app in
            let shopper = app.shopper
            let sku = CatalogGenerator().product(2).variants[0].sku
            for token in [nil, "wrong-token-but-long-enough", Shopper.adminToken + "x"] {
                let refused = try await shopper.admin(.get, "/v1/admin/orders", token: token)
                #expect(refused.status == .unauthorized)
                #expect(refused.isProblem("unauthorized"))
                #expect(refused.headers[.wwwAuthenticate] == "Bearer")
                #expect(try await shopper.admin(.put, "/v1/admin/stock/\(sku)", body: #"{"available": 99}"#, token: token).status == .unauthorized)
            }
            #expect(try await shopper.admin(.get, "/v1/admin/orders").status == .ok)
            // Stock set by an admin is what a shopper then sees.
            try await shopper.setStock(sku, 0)
            let cart = try await shopper.openCart()
            try await shopper.set(sku, quantity: 1, in: cart)
            let refused = try await shopper.checkout(cart)
            #expect(refused.status == .conflict)
            #expect(refused.isProblem("out-of-stock"))

            #expect(try await shopper.client.get("/metrics").status == .unauthorized)
            let metrics = try await shopper.client.get("/metrics", headers: [.authorization: "Bearer \(RouteTestApp.observerToken)"])
            #expect(metrics.status == .ok)
            // The refused checkout above, counted by its route and status.
            #expect(String(buffer: metrics.body).contains(#"storefront_http_responses_total{method="POST",route="/v1/orders",status="409"} 1"#))
        }
    }

    /// Every answer names its region and request, and carries the headers that keep a browser safe: shopper
    /// routes, problems and probes alike.
    @Test func everyAnswerNamesItsRegionAndRequestAndCarriesTheSecurityHeaders() async throws {
        try await RouteTestApp.test { app in
            let shopper = app.shopper
            let cart = try await shopper.openCart()
            let answers = [
                try await shopper.client.get("/v1/products?limit=2"),
                try await shopper.client.get("/v1/brands"),
                try await shopper.client.get("/v1/products/not-a-uuid"),
                try await shopper.cart(cart),
                try await shopper.client.get("/health/live"),
                try await shopper.client.get("/no/such/route"),
            ]
            let requestID = HTTPField.Name("X-Request-ID")!
            var requestIDs: Set<String> = []
            for answer in answers {
                #expect(answer.headers[.region] == "us-east")
                #expect(answer.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                if let id = answer.headers[requestID] { requestIDs.insert(id) }
            }
            #expect(requestIDs.count == answers.count, "each answer has a request id of its own")
            #expect(answers[2].status == .badRequest)
            #expect(answers[5].status == .notFound)
            #expect(answers[5].headers[.contentType] == "application/problem+json")

            // A caller's own request id is kept when it is one; one that could forge a log line is replaced.
            #expect(try await shopper.client.get("/v1/brands", headers: [requestID: "trace-123.abc"]).headers[requestID] == "trace-123.abc")
            let replaced = try #require(try await shopper.client.get("/v1/brands", headers: [requestID: "bad\" id\n"]).headers[requestID])
            #expect(replaced.allSatisfy { $0.isHexDigit || $0 == "-" }, "\(replaced)")
        }
    }

    /// A client past its limit for one kind of write is refused with when to retry; other kinds and reads
    /// go on.
    @Test func aClientPastItsCartLimitIsToldWhenToRetryAndReadsGoOn() async throws {
        try await RouteTestApp.test(rateLimits: [RateLimitPolicy(.cartCreate, requests: 2, seconds: 60)]) { app in
            let shopper = app.shopper
            let first = try await shopper.openCart()
            _ = try await shopper.openCart()
            let refused = try await shopper.client.execute(uri: "/v1/carts", method: .post, headers: [:], body: nil)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.isProblem("too-many-requests"))
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap(Int.init))
            #expect((1...60).contains(retryAfter))
            #expect(refused.headers[HTTPField.Name("RateLimit-Policy")!] == #""cart_create";q=2;w=60"#)
            #expect(try await shopper.cart(first).status == .ok)
            #expect(try await shopper.set(CatalogGenerator().product(1).variants[0].sku, quantity: 1, in: first).status == .ok)
        }
    }

    /// The one table of which route belongs to which flow, as the routes were registered: metrics, health
    /// and admission read it.
    @Test func everyShopperRouteIsRegisteredWithItsFlow() async throws {
        try await RouteTestApp.test { app in
            let routes = app.routes
            #expect(routes.endpoints(of: .browse) == ["GET /v1/brands", "GET /v1/categories", "GET /v1/products", "GET /v1/products/{id}"])
            #expect(
                routes.endpoints(of: .cart) == [
                    "DELETE /v1/carts/{id}/items/{sku}", "GET /v1/carts/{id}", "POST /v1/carts", "PUT /v1/carts/{id}/items/{sku}",
                ]
            )
            #expect(routes.endpoints(of: .checkout) == ["POST /v1/orders"])
            #expect(routes.endpoints(of: .orderHistory) == ["GET /v1/orders/{id}", "POST /v1/orders/{id}/cancel"])
            #expect(routes.flow(method: "PUT", route: "/v1/carts/{id}/items/{sku}") == .cart)
            #expect(routes.flow(method: "GET", route: "/health/ready") == nil)
            #expect(routes.flow(method: "GET", route: "/v1/admin/orders") == nil)
            #expect(routes.flow(method: "GET", route: "/metrics") == nil)
        }
    }
}
