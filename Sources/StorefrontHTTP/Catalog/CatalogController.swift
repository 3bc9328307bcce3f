import Foundation
import Hummingbird
import StorefrontCore
import NIOCore

/// `GET /v1/products`, `/v1/products/{id}`, `/v1/brands`, `/v1/categories`.
///
/// Pages come from the in-memory catalog; only the choice of products for a listing (filters, text search,
/// order) is one query to the database.
public struct CatalogController<Store: CatalogStore>: Sendable {
    let store: Store
    let catalog: Catalog
    let cursors: CursorCodec
    let region: Region
    let encoded: EncodedCatalog

    public init(store: Store, catalog: Catalog, cursors: CursorCodec, region: Region) {
        self.store = store
        self.catalog = catalog
        self.cursors = cursors
        self.region = region
        self.encoded = EncodedCatalog(region: region)
    }

    public func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("products", use: list)
        group.get("products/{id}", use: show)
        group.get("brands") { _, _ in JSON.response(try encoded.brands(in: catalog.snapshot)) }
        group.get("categories") { _, _ in JSON.response(try encoded.categories(in: catalog.snapshot)) }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let parsed = try ProductQuery.parse(try QueryString.pairs(request.uri.query))
        let query = parsed.query
        let after = try parsed.cursor.map { cursor throws(StorefrontError) in try cursors.open(cursor, scope: query.fingerprint) }
        // One more than the page tells whether another page follows.
        let matches = try await store.search(query, after: after, stockRegion: region, limit: query.limit + 1)
        let page = matches.prefix(query.limit)

        var snapshot = catalog.snapshot
        let missing = page.map(\.id).filter { snapshot.products[$0] == nil }
        if !missing.isEmpty {
            // Products created since the last refresh: fetch them once and keep them.
            let fresh = try await store.products(ids: missing)
            catalog.update { $0.insert(fresh) }
            snapshot = catalog.snapshot
        }

        var body = ByteBuffer(string: #"{"items":["#)
        var first = true
        for match in page {
            guard let product = snapshot.products[match.id] else { continue }
            if !first { body.writeString(",") }
            first = false
            var summary = try encoded.summary(product, in: snapshot)
            body.writeBuffer(&summary)
        }
        body.writeString(#"],"limit":\#(query.limit),"next_cursor":"#)
        if matches.count > query.limit, let last = page.last {
            body.writeString("\"\(cursors.seal(last, scope: query.fingerprint))\"}")
        } else {
            body.writeString("null}")
        }
        return JSON.response(body)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw StorefrontError.invalid("id", "must be a UUID")
        }
        let snapshot = catalog.snapshot
        guard let product = snapshot.products[id], !product.variants.isEmpty else {
            throw StorefrontError.notFound(resource: "product")
        }
        return JSON.response(try encoded.detail(product, in: snapshot))
    }
}
