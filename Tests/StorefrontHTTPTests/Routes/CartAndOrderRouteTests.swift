import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import StorefrontCore
import StorefrontTestSupport
import Testing

/// What the HTTP layer makes of a shopper's cart and checkout, over a store in memory: statuses, problem
/// documents, tokens, versions and keys. What the SQL does with them is the integration tests' to prove.
@Suite struct CartAndOrderRouteTests {
    static let sku = CatalogGenerator().product(1).variants[0].sku

    @Test func aCartIsReadAndChangedOnlyWithItsOwnToken() async throws {
        try await RouteTestApp.test { app in
            let shopper = app.shopper
            let mine = try await shopper.openCart()
            let theirs = try await shopper.openCart()
            let changed = try await shopper.set(Self.sku, quantity: 2, in: mine)
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] == "\"2\"")
            let items = try #require(try await shopper.cart(mine).json()["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items.first?["quantity"] as? Int == 2)
            // No token, another cart's token: the same 404 as an id that does not exist.
            for stranger in [
                Shopper.OpenedCart(id: mine.id, token: theirs.token), Shopper.OpenedCart(id: UUID().uuidString.lowercased(), token: mine.token),
            ] {
                let read = try await shopper.cart(stranger)
                #expect(read.status == .notFound)
                #expect(read.isProblem("not-found"))
                #expect(try await shopper.set(Self.sku, quantity: 1, in: stranger).status == .notFound)
            }
            let withoutToken = try await shopper.client.get("/v1/carts/\(mine.id)")
            #expect(withoutToken.status == .notFound)
            #expect(withoutToken.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func aBadChangeIsRefusedNamingWhatIsWrongAndChangesNothing() async throws {
        try await RouteTestApp.test { app in
            let shopper = app.shopper
            let cart = try await shopper.openCart()
            #expect(try await shopper.set(Self.sku, quantity: 1, in: cart).status == .ok)

            let tooMany = try await shopper.set(Self.sku, quantity: 11, in: cart)
            #expect(tooMany.status == .badRequest)
            let errors = try #require(try tooMany.json()["errors"] as? [[String: Any]])
            #expect(errors.contains { $0["field"] as? String == "quantity" })

            let unknown = try await shopper.set("NO-SUCH-SKU", quantity: 1, in: cart)
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.isProblem("unknown-sku"))

            let stale = try await shopper.set(Self.sku, quantity: 3, in: cart, ifMatch: "\"1\"")
            #expect(stale.status == .preconditionFailed)
            #expect(try stale.json()["current_version"] as? Int == 2)

            let notJSON = try await shopper.client.execute(
                uri: "/v1/carts/\(cart.id)/items/\(Self.sku)",
                method: .put,
                headers: [.cartToken: cart.token, .contentType: "application/json"],
                body: ByteBuffer(string: "{quantity: 3")
            )
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.headers[.contentType] == "application/problem+json")

            // None of the refusals changed the cart.
            let read = try await shopper.cart(cart)
            #expect(read.headers[.eTag] == "\"2\"")
            #expect((try read.json()["items"] as? [[String: Any]])?.first?["quantity"] as? Int == 1)
        }
    }

    @Test func aCheckoutIsPlacedOnceAndItsKeyReplaysIt() async throws {
        try await RouteTestApp.test { app in
            let (store, shopper) = (app.store, app.shopper)
            try await store.setAvailable(5, sku: Self.sku)
            let cart = try await shopper.openCart()
            try await shopper.set(Self.sku, quantity: 2, in: cart)
            let key = UUID().uuidString
            let placed = try await shopper.checkout(cart, key: key)
            #expect(placed.status == .created)
            let order = try placed.json()
            let id = try order.value("id", as: String.self)
            let token = try order.value("order_token", as: String.self)
            #expect(placed.headers[.idempotentReplayed] == nil)

            let replayed = try await shopper.checkout(cart, key: key)
            #expect(replayed.status == .created)
            #expect(replayed.headers[.idempotentReplayed] == "true")
            #expect(try replayed.json().value("id", as: String.self) == id)

            let reused = try await shopper.checkout(cart, key: key, body: Shopper.checkoutBody(cart.id, email: "grace@example.org"))
            #expect(reused.status == .unprocessableContent)
            #expect(reused.isProblem("idempotency-key-reused"))

            let again = try await shopper.checkout(cart)
            #expect(again.status == .conflict)
            #expect(again.isProblem("cart-closed"))

            // The order is the shopper's alone; the stock went once.
            #expect(try await shopper.order(id, token: token).status == .ok)
            #expect(try await shopper.order(id, token: nil).status == .notFound)
            #expect(try await shopper.order(id, token: cart.token).status == .notFound)
            let page = try await shopper.client.get("/v1/products/\(CatalogGenerator().product(1).id.uuidString.lowercased())")
            #expect(String(buffer: page.body).contains(#""sku":"\#(Self.sku)""#))
            #expect(try await store.products(ids: [CatalogGenerator().product(1).id], stockIn: Region("us-east")).first?.available(Self.sku) == 3)
        }
    }

    @Test func aCheckoutWithoutAKeyOrAnAddressIsRefusedNamingWhatIsMissing() async throws {
        try await RouteTestApp.test { app in
            let (store, shopper) = (app.store, app.shopper)
            let cart = try await shopper.openCart()
            try await shopper.set(Self.sku, quantity: 1, in: cart)
            let withoutKey = try await shopper.client.execute(
                uri: "/v1/orders",
                method: .post,
                headers: [.cartToken: cart.token, .contentType: "application/json"],
                body: ByteBuffer(string: Shopper.checkoutBody(cart.id))
            )
            #expect(withoutKey.status == .badRequest)
            #expect(withoutKey.isProblem("invalid-request"))

            let withoutAddress = try await shopper.checkout(cart, body: #"{"cart_id": "\#(cart.id)", "email": "ada@example.org"}"#)
            #expect(withoutAddress.status == .badRequest)
            let fields = (try withoutAddress.json()["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(fields.contains { $0.hasPrefix("shipping_address") }, "\(fields)")

            // Nothing was placed: the cart still takes changes.
            #expect(try await shopper.set(Self.sku, quantity: 2, in: cart).status == .ok)
            #expect(try await store.orders(status: nil, after: nil, limit: 10).isEmpty)
        }
    }
}
