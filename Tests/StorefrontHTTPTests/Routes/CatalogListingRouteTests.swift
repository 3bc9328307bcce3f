import Foundation
import HTTPTypes
import HummingbirdTesting
import StorefrontCore
import StorefrontTestSupport
import Testing

/// Listings page by sealed cursors, over a store in memory: which products match is the integration tests'
/// to prove against PostgreSQL; what a cursor may be used for is the HTTP layer's alone.
@Suite struct CatalogListingRouteTests {
    @Test func aCursorThatWasAlteredOrComesFromAnotherQueryIsRefused() async throws {
        try await RouteTestApp.test(products: 40) { app in
            let client = app.shopper.client
            let first = try await client.get("/v1/products?limit=2&gender=men").json()
            let cursor = try first.value("next_cursor", as: String.self)
            #expect(try await client.get("/v1/products?limit=2&gender=men&cursor=\(cursor)").status == .ok)
            // The limit is not part of the query a cursor belongs to; the filters are.
            #expect(try await client.get("/v1/products?limit=5&gender=men&cursor=\(cursor)").status == .ok)
            let elsewhere = try await client.get("/v1/products?limit=2&gender=women&cursor=\(cursor)")
            #expect(elsewhere.status == .badRequest)
            #expect(elsewhere.isProblem("invalid-request"))
            var tampered = Array(cursor)
            tampered[3] = tampered[3] == "x" ? "y" : "x"
            #expect(try await client.get("/v1/products?limit=2&gender=men&cursor=\(String(tampered))").status == .badRequest)
        }
    }

    /// Two pages walk on from each other: nothing twice, in the order the store gave.
    @Test func aSecondPageFollowsTheFirst() async throws {
        try await RouteTestApp.test(products: 40) { app in
            let client = app.shopper.client
            let first = try await client.get("/v1/products?limit=3").json()
            let second = try await client.get("/v1/products?limit=3&cursor=\(try first.value("next_cursor", as: String.self))").json()
            let ids = try [first, second].flatMap { try $0.value("items", as: [[String: Any]].self) }.compactMap { $0["id"] as? String }
            let newest = try await app.store.newestProductIDs(limit: 6).map { $0.uuidString.lowercased() }
            #expect(ids == newest)
        }
    }
}
