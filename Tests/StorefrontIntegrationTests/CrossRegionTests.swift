import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import StorefrontCore
import StorefrontTestSupport
import Testing

/// One cart and one order per checkout, whichever regions a shopper's requests reach: real regions on
/// three replicating clusters, whose apps forward to each other over HTTP. Serialized, and run on their
/// own (scripts/test), as they stop and start clusters.
@Suite(.serialized, .timeLimit(.minutes(3))) struct CrossRegionTests {
    static let east = try! Region("us-east")
    static let west = try! Region("eu-west")
    let sku = CatalogGenerator().product(3).variants[0].sku

    /// A cart opened in `client`'s region with one pair in it, and stock for it there.
    func filledCart(_ shopper: Shopper) async throws -> Shopper.OpenedCart {
        try await shopper.setStock(sku, 100)
        let cart = try await shopper.openCart()
        #expect(try await shopper.set(sku, quantity: 1, in: cart).status == .ok)
        return cart
    }

    func cartRoot(_ cart: Shopper.OpenedCart) -> UUID { UUID(uuidString: cart.id)! }

    /// A checkout whose answer was lost, retried with the same key through another region before the order
    /// has replicated there: the retry reaches the home, which replays its answer.
    @Test func aCheckoutRetriedThroughAnotherRegionMakesOneOrder() async throws {
        try await ReplicatedRegions.withRegions { regions async throws in
            let peered = try PeeredRegions(regions, [Self.east, Self.west])
            let cart = try await peered.run(Self.east) { eastClient in
                try await peered.run(Self.west) { westClient in
                    try await peered.waitUntil(westClient, seesLive: Self.east)
                    let east = Shopper(client: eastClient)
                    let west = Shopper(client: westClient)
                    let cart = try await filledCart(east)
                    try await peered.pause(Self.west, receivingFrom: Self.east)
                    let first = try await east.checkout(cart, key: "lost-answer")
                    #expect(first.status == .created)
                    let retried = try await west.checkout(cart, key: "lost-answer")
                    #expect(retried.status == .created)
                    #expect(retried.headers[.region] == "us-east")
                    #expect(retried.headers[.idempotentReplayed] == "true")
                    #expect(try retried.json()["id"] as? String == first.json()["id"] as? String)
                    #expect(try retried.json()["order_token"] as? String == first.json()["order_token"] as? String)
                    // The same key with another body is still refused, through either region.
                    let other = try await west.checkout(cart, key: "lost-answer", body: Shopper.checkoutBody(cart.id, email: "eve@example.org"))
                    #expect(other.isProblem("idempotency-key-reused"))
                    try await peered.resume(Self.west, receivingFrom: Self.east)
                    return cart
                }
            }
            try await regions.waitForConvergence()
            for region in regions.regions {
                #expect(try await regions.count("SELECT count(*) FROM orders WHERE cart_root = \(cartRoot(cart))", in: region) == 1)
            }
        }
    }

    /// Requests alternating between two healthy regions for a whole journey, while the second region's
    /// replica lags far behind: every change lands on the one cart in its home, and one order results.
    @Test func aShopperAlternatingBetweenRegionsKeepsOneCartAndMakesOneOrder() async throws {
        let sku = sku
        let other = CatalogGenerator().product(4).variants[0].sku
        try await ReplicatedRegions.withRegions { regions async throws in
            let peered = try PeeredRegions(regions, [Self.east, Self.west])
            try await peered.run(Self.east) { eastClient in
                try await peered.run(Self.west) { westClient in
                    try await peered.waitUntil(westClient, seesLive: Self.east)
                    let east = Shopper(client: eastClient)
                    let west = Shopper(client: westClient)
                    try await east.setStock(sku, 100)
                    try await east.setStock(other, 100)
                    try await peered.pause(Self.west, receivingFrom: Self.east)
                    let cart = try await east.openCart()
                    let added = try await west.set(sku, quantity: 1, in: cart)
                    #expect(added.status == .ok)
                    #expect(added.headers[.region] == "us-east")
                    #expect(try await east.set(other, quantity: 2, in: cart).status == .ok)
                    let read = try await west.cart(cart)
                    #expect(read.headers[.region] == "us-east")
                    #expect(try read.json()["id"] as? String == cart.id)
                    #expect(Set((try read.json()["items"] as? [[String: Any]] ?? []).map { $0["sku"] as? String }) == [sku, other])
                    #expect(try await west.set(other, quantity: 3, in: cart, ifMatch: read.headers[.eTag]).status == .ok)
                    let order = try await west.checkout(cart)
                    #expect(order.status == .created)
                    #expect(try order.json()["region"] as? String == "us-east")
                    let id = try #require(try order.json()["id"] as? String)
                    let token = try #require(try order.json()["order_token"] as? String)
                    let shown = try await west.order(id, token: token)
                    #expect(shown.status == .ok)
                    #expect(shown.headers[.region] == "us-east")
                    #expect(try await west.order(id, token: "wrong").status == .notFound)
                    try await peered.resume(Self.west, receivingFrom: Self.east)
                    // Nothing was adopted, and the home's stock paid for the one order.
                    try await regions.waitForConvergence()
                    for region in regions.regions {
                        #expect(try await regions.count("SELECT count(*) FROM carts WHERE adopted_from IS NOT NULL", in: region) == 0)
                        #expect(try await regions.count("SELECT count(*) FROM orders", in: region) == 1)
                    }
                    #expect(try await regions.count("SELECT available FROM stock WHERE region = 'us-east' AND sku = \(other)", in: Self.east) == 97)
                }
            }
        }
    }

    /// The home region crashes right after committing a checkout that has not replicated; the shopper checks
    /// out again through another region, which adopts the cart. When the home returns, the later order is
    /// superseded in every region: one live order, the other cancelled with its stock given back once.
    @Test func twinOrdersAfterAnOutageAreReconciledToOne() async throws {
        let sku = sku
        try await ReplicatedRegions.withRegions { regions async throws in
            let peered = try PeeredRegions(regions, [Self.east, Self.west])
            let (cart, standing) = try await peered.run(Self.east) { eastClient in
                let east = Shopper(client: eastClient)
                let cart = try await filledCart(east)
                try await waitUntil("the cart reached eu-west") {
                    try await regions.count("SELECT count(*) FROM cart_items WHERE cart_id = \(cartRoot(cart))", in: Self.west) == 1
                }
                try await peered.pause(Self.west, receivingFrom: Self.east)
                let placed = try await east.checkout(cart, key: "first-try")
                #expect(placed.status == .created)
                return (cart, try #require(try placed.json()["id"] as? String))
            }
            try await regions.crash(Self.east)

            try await peered.run(Self.west) { westClient in
                let west = Shopper(client: westClient)
                try await west.setStock(sku, 10)
                let adopted = try await west.checkout(cart, key: "second-try")
                #expect(adopted.status == .created, "\(String(buffer: adopted.body))")
                #expect(adopted.headers[.region] == "eu-west")
                let twin = try #require(try adopted.json()["id"] as? String)
                let twinToken = try #require(try adopted.json()["order_token"] as? String)
                #expect(try await regions.count("SELECT available FROM stock WHERE region = 'eu-west' AND sku = \(sku)", in: Self.west) == 9)

                try await regions.start(Self.east)
                try await peered.resume(Self.west, receivingFrom: Self.east)
                let returned = ContinuousClock.now
                try await peered.run(Self.east) { _ in
                    let twinID = UUID(uuidString: twin)!
                    try await waitUntil("eu-west superseded its twin order", timeout: .seconds(60)) {
                        try await regions.count("SELECT count(*) FROM orders WHERE id = \(twinID) AND superseded_by IS NOT NULL", in: Self.west) == 1
                    }
                    print("the twin order was superseded \(ContinuousClock.now - returned) after us-east returned")
                    try await regions.waitForConvergence()
                    print("all regions agreed \(ContinuousClock.now - returned) after us-east returned")
                    for region in regions.regions {
                        let live = try await regions.count(
                            "SELECT count(*) FROM orders WHERE cart_root = \(cartRoot(cart)) AND status <> 'cancelled'",
                            in: region
                        )
                        #expect(live == 1, "\(region)")
                        #expect(
                            try await regions.count(
                                "SELECT count(*) FROM orders WHERE id = \(twinID) AND status = 'cancelled' AND superseded_by = \(UUID(uuidString: standing)!)",
                                in: region
                            ) == 1,
                            "\(region)"
                        )
                    }
                    // Given back once, and only where it was taken.
                    #expect(try await regions.count("SELECT available FROM stock WHERE region = 'eu-west' AND sku = \(sku)", in: Self.west) == 10)
                    #expect(try await regions.count("SELECT available FROM stock WHERE region = 'us-east' AND sku = \(sku)", in: Self.east) == 99)

                    let read = try await west.order(twin, token: twinToken)
                    #expect(read.status == .ok)
                    let superseded = try read.json()["superseded_by"] as? [String: Any]
                    #expect(superseded?["order_id"] as? String == standing)
                    #expect(superseded?["region"] as? String == "us-east")
                    let listed = try await west.admin(.get, "/v1/admin/reconciliations").json()["items"] as? [[String: Any]]
                    #expect(listed?.count == 1)
                    #expect((listed?.first?["order"] as? [String: Any])?["order_id"] as? String == twin)
                    let metrics = String(buffer: try await westClient.execute(uri: "/metrics", method: .get, headers: [:], body: nil).body)
                    #expect(metrics.contains(#"storefront_reconciled_orders_total{outcome="cancelled"} 1"#))
                }
            }
            #expect(try await regions.replicationProblems() == [])
        }
    }

    /// A checkout through eu-west for a cart homed in us-east is one trace: eu-west's request span, its
    /// client span for the forward, and under it us-east's request with a span per statement, all
    /// exported to a collector (the suite's OTLP/HTTP receiver, JSON) and shown by each region's
    /// `/debug/traces`, with no bound value in any of them.
    @Test func aForwardedCheckoutIsOneTraceAcrossBothRegions() async throws {
        try await OTLPReceiver.with { receiver, collector in
            try await ReplicatedRegions.withRegions { regions async throws in
                let tracing = ["STOREFRONT_OTLP_ENDPOINT": collector, "STOREFRONT_TRACE_SAMPLE": "1"]
                let peered = try PeeredRegions(regions, [Self.east, Self.west], extra: tracing)
                try await peered.run(Self.east) { eastClient in
                    try await peered.run(Self.west) { westClient in
                        try await peered.waitUntil(westClient, seesLive: Self.east)
                        let cart = try await filledCart(Shopper(client: eastClient))
                        let key = "trace-\(UUID())"
                        let placed = try await Shopper(client: westClient).checkout(cart, key: key)
                        #expect(placed.status == .created)
                        #expect(placed.headers[.region] == "us-east")
                        let orderToken = try #require(try placed.json()["order_token"] as? String)
                        let traceResponse = try #require(placed.headers[HTTPField.Name("traceresponse")!])
                        let traceID = try #require(traceResponse.split(separator: "-").dropFirst().first.map(String.init))
                        #expect(traceID.count == 32)

                        // Each region's own view holds its part of the trace.
                        let westView = try await westClient.get("/debug/traces/\(traceID)", headers: [.accept: "application/json"])
                        #expect(westView.status == .ok)
                        #expect(String(buffer: westView.body).contains("forward to us-east"))
                        let eastView = try await eastClient.get("/debug/traces/\(traceID)", headers: [.accept: "application/json"])
                        #expect(eastView.status == .ok)
                        #expect(String(buffer: eastView.body).contains("PlaceOrder"))

                        try await waitUntil("both regions exported their part of the trace") {
                            let spans = try receiver.spans().filter { $0.traceID == traceID }
                            return spans.contains { $0.region == "us-east" && $0.kind == 2 }
                                && spans.contains { $0.region == "eu-west" && $0.kind == 2 }
                        }
                        let spans = try receiver.spans().filter { $0.traceID == traceID }
                        // Kept for reading: the trace as each region shows it and as the collector got it.
                        try FileManager.default.createDirectory(atPath: RenderedPage.artifacts, withIntermediateDirectories: true)
                        let received = spans.map {
                            "\($0.region) \($0.spanID) parent=\($0.parentSpanID ?? "-") kind=\($0.kind) \($0.name) \($0.attributes.sorted { $0.key < $1.key })"
                        }
                        try received.joined(separator: "\n").write(
                            toFile: RenderedPage.artifacts + "/forwarded-checkout-received.txt",
                            atomically: true,
                            encoding: .utf8
                        )
                        try String(buffer: westView.body).write(
                            toFile: RenderedPage.artifacts + "/forwarded-checkout-eu-west.json",
                            atomically: true,
                            encoding: .utf8
                        )
                        try String(buffer: eastView.body).write(
                            toFile: RenderedPage.artifacts + "/forwarded-checkout-us-east.json",
                            atomically: true,
                            encoding: .utf8
                        )
                        let byID = Dictionary(spans.map { ($0.spanID, $0) }) { first, _ in first }
                        func ancestors(_ span: ReceivedSpan) -> [String] {
                            var chain: [String] = []
                            var current = span.parentSpanID
                            while let id = current, let parent = byID[id], chain.count < 20 {
                                chain.append(id)
                                current = parent.parentSpanID
                            }
                            return chain
                        }
                        let westRoots = spans.filter { $0.region == "eu-west" && $0.kind == 2 }
                        let eastRoots = spans.filter { $0.region == "us-east" && $0.kind == 2 }
                        #expect(westRoots.count == 1 && eastRoots.count == 1)
                        let westRoot = try #require(westRoots.first)
                        let eastRoot = try #require(eastRoots.first)
                        #expect(westRoot.name == "POST /v1/orders")
                        #expect(westRoot.parentSpanID == nil)
                        #expect(westRoot.attributes["storefront.flow"] == "checkout")
                        let forward = try #require(spans.first { $0.name == "forward to us-east" })
                        #expect(forward.region == "eu-west")
                        #expect(forward.kind == 3)
                        #expect(ancestors(forward).last == westRoot.spanID)
                        #expect(eastRoot.parentSpanID == forward.spanID)
                        let statements = spans.filter { $0.attributes["db.system.name"] == "postgresql" }
                        #expect(statements.contains { $0.name == "PlaceOrder" && $0.region == "us-east" })
                        #expect(statements.allSatisfy { $0.kind == 3 && ancestors($0).contains(eastRoot.spanID) })
                        #expect(spans.contains { $0.name == "OrderStore.checkout" && $0.parentSpanID == eastRoot.spanID })

                        // No value the shopper sent, and no secret, in the trace or anywhere in the export.
                        let traceText = spans.map { "\($0.name) \($0.attributes)" }.joined(separator: "\n")
                        for value in [cart.id, cart.token, key, orderToken, "ada@example.org", "Lovelace", "SW1Y 4JH", PeeredRegions.secret] {
                            #expect(!traceText.contains(value), "the trace holds \(value)")
                        }
                        for value in [cart.token, key, orderToken, "ada@example.org", PeeredRegions.secret] {
                            #expect(!receiver.rawText.contains(value), "the export holds \(value)")
                        }
                    }
                }
            }
        }
    }
}
