import Foundation
import Hummingbird
import NIOCore
import StorefrontCore
import StorefrontTracing

/// `GET /v1/products`, `/v1/products/{id}`, `/v1/brands`, `/v1/categories`.
///
/// Answers come from the `CatalogCache`; the choice of products for a listing (filters, text search, order)
/// is one query to the database, and a product not held yet is read once and then kept.
public struct CatalogController<Store: CatalogStore>: Sendable {
    let store: Store
    let cache: CatalogCache
    let cursors: CursorCodec
    let region: Region
    let admission: Admission

    public init(store: Store, cache: CatalogCache, cursors: CursorCodec, region: Region, admission: Admission) {
        self.store = store
        self.cache = cache
        self.cursors = cursors
        self.region = region
        self.admission = admission
    }

    public func addRoutes(to group: FlowGroup) {
        // A listing is a query; a product page, brands and categories come from memory.
        group.get("products", work: .databaseRead, use: list)
        group.get("products/{id}", use: show)
        group.get("brands") { _, _ in JSON.response(try await facets().brands) }
        group.get("categories") { _, _ in JSON.response(try await facets().categories) }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let parsed = try ProductQuery.parse(try QueryString.pairs(request.uri.query))
        let query = parsed.query
        let after = try parsed.cursor.map { cursor throws(StorefrontError) in try cursors.open(cursor, scope: query.fingerprint) }
        let matches = try await Spans.withSpan("CatalogStore.search") { _ in
            try await store.search(query, after: after, stockRegion: region, limit: query.limit + 1)
        }
        let (items, next) = cursors.page(of: matches, limit: query.limit, scope: query.fingerprint) { $0 }
        let page = Array(items)

        var summaries = page.map { cache.summary($0.id) }
        let missing = zip(page, summaries).compactMap { match, summary in summary == nil ? match.id : nil }
        if !missing.isEmpty {
            // This request already holds a database-read slot: read every missing product in one go.
            let fetched = try await Spans.withSpan("CatalogStore.products") { _ in try await store.products(ids: missing, stockIn: region) }.filter {
                !$0.product.variants.isEmpty
            }
            cache.insert(fetched)
            cache.countReads(missing.count)
            let byID = Dictionary(uniqueKeysWithValues: fetched.map { ($0.id, $0) })
            summaries = zip(page, summaries).map { match, summary in
                summary ?? byID[match.id].map { ProductSummaryBody($0).encoded() }
            }
        }

        var body = ByteBuffer(string: #"{"items":["#)
        var first = true
        for case var summary? in summaries {
            if !first { body.writeString(",") }
            first = false
            body.writeBuffer(&summary)
        }
        body.writeString(#"],"limit":\#(query.limit),"next_cursor":"#)
        if let next {
            body.writeString("\"\(next)\"}")
        } else {
            body.writeString("null}")
        }
        return JSON.response(body)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: UUID.self) else {
            throw StorefrontError.invalid("id", "must be a UUID")
        }
        if let page = cache.detail(id) { return JSON.response(page) }
        // Not held: a database read, admitted as one so that a flood of cold pages cannot take the pool.
        let fetched = try await admission.admit(.databaseRead) {
            try await Spans.withSpan("CatalogStore.products") { _ in try await store.products(ids: [id], stockIn: region) }
        }
        guard let product = fetched.first, !product.product.variants.isEmpty else {
            throw StorefrontError.notFound(resource: "product")
        }
        cache.insert([product])
        cache.countReads(1)
        return JSON.response(cache.detail(id) ?? ProductDetailBody(product, region: region).encoded())
    }

    private func facets() async throws -> CatalogCache.Facets {
        if let facets = cache.facets { return facets }
        return try cache.setFacets(try await admission.admit(.databaseRead) { try await store.facets() })
    }
}
