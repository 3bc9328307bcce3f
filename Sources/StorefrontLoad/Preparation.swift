import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Before a run: a sample of the catalog from the first target (products, their SKUs in stock, brands,
/// categories), the hot SKUs and, with an admin token, their stock in every target; a few orders when the
/// mix looks orders up. Its requests are counted apart from the run's.
struct Preparation {
    let http: HTTPClient
    let plan: LoadPlan
    let recorder: LoadRecorder
    static let sampledProducts = 200
    static let productsWithSKUs = 40

    func run() async throws -> CatalogSample {
        let base = plan.urls[0]
        var productIDs: [String] = []
        var cursor: String?
        repeat {
            let page = try await get(base + "/v1/products?limit=100&in_stock=true" + (cursor.map { "&cursor=\($0)" } ?? ""))
            productIDs += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            cursor = page["next_cursor"] as? String
        } while cursor != nil && productIDs.count < Self.sampledProducts
        guard !productIDs.isEmpty else { throw LoadError.setup("\(base) lists no product in stock: seed the catalog first") }

        var skus = plan.skus ?? []
        if skus.isEmpty {
            for id in productIDs.prefix(Self.productsWithSKUs) {
                let product = try await get(base + "/v1/products/\(id)")
                skus += (product["variants"] as? [[String: Any]] ?? []).filter { $0["in_stock"] as? Bool == true }.compactMap { $0["sku"] as? String }
            }
        }
        guard !skus.isEmpty else { throw LoadError.setup("no SKU in stock among \(Self.productsWithSKUs) products") }
        let brands = (try await get(base + "/v1/brands")["items"] as? [[String: Any]] ?? []).compactMap { $0["slug"] as? String }
        let categories = (try await get(base + "/v1/categories")["items"] as? [[String: Any]] ?? []).compactMap { $0["slug"] as? String }

        let hotSKUs = Array(skus.prefix(plan.hotSKUs))
        if let stock = plan.hotStock, let token = plan.adminToken {
            for url in plan.urls {
                for sku in hotSKUs {
                    try await send(
                        .PUT,
                        url + "/v1/admin/stock/\(sku)",
                        headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                        body: #"{"available": \#(stock)}"#,
                        expect: 200
                    )
                }
            }
        }
        let sample = CatalogSample(productIDs: productIDs, skus: skus, hotSKUs: hotSKUs, brands: brands, categories: categories)
        if plan.mix.contains(.orders) {
            for sku in skus.prefix(5) { try await placeOrder(base, sku: sku, into: sample) }
        }
        return sample
    }

    private func placeOrder(_ base: String, sku: String, into sample: CatalogSample) async throws {
        let cart = try await send(.POST, base + "/v1/carts", expect: 201)
        guard let id = cart["id"] as? String, let token = cart["token"] as? String else {
            throw LoadError.setup("a cart came back without id or token")
        }
        _ = try await send(
            .PUT,
            base + "/v1/carts/\(id)/items/\(sku)",
            headers: [("Cart-Token", token), ("Content-Type", "application/json")],
            body: #"{"quantity": 1}"#,
            expect: 200
        )
        let order = try await send(
            .POST,
            base + "/v1/orders",
            headers: [("Cart-Token", token), ("Idempotency-Key", UUID().uuidString), ("Content-Type", "application/json")],
            body:
                #"{"cart_id": "\#(id)", "email": "shopper@example.org", "shipping_address": {"name": "Launch Shopper", "line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "US"}}"#,
            expect: 201
        )
        if let orderID = order["id"] as? String, let orderToken = order["order_token"] as? String { sample.placed((orderID, orderToken)) }
    }

    private func get(_ url: String) async throws -> [String: Any] {
        try await send(.GET, url, expect: 200)
    }

    @discardableResult
    private func send(
        _ method: HTTPMethod,
        _ url: String,
        headers: [(String, String)] = [],
        body: String? = nil,
        expect: Int
    ) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        recorder.recordSetupRequest()
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(30))
            bytes = try await response.body.collect(upTo: 8 << 20)
        } catch {
            throw LoadError.setup("\(method) \(url): \(error)")
        }
        guard Int(response.status.code) == expect else {
            throw LoadError.setup("\(method) \(url) answered \(response.status.code): \(String(buffer: bytes).prefix(300))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
    }
}
