import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StorefrontCore

/// One virtual shopper's journey: its requests, each timed and classified into the recorder.
struct VirtualShopper: Sendable {
    let http: HTTPClient
    let base: String
    let geo: String?
    let sample: CatalogSample
    let recorder: LoadRecorder
    let timeout: Duration
    let hotShare: Double
    let orders: OrderLog?

    static let searchTerms = ["waterproof", "trail", "leather", "cushioned", "court", "summer", "running", "boot", "canvas", "grip"]
    static let sizes = ["eu:38", "eu:40", "eu:42", "eu:44", "us:8", "us:9.5", "us:11"]
    static let sorts = ["newest", "price_asc", "price_desc"]

    struct Response {
        var status: Int
        var json: [String: Any]
        var region: String?
    }

    /// Runs `journey`; `intendedStart` is when its first request was due (open model), so a generator or a
    /// connection pool that falls behind shows in that request's latency.
    func run(_ journey: JourneyMix.Journey, intendedStart: ContinuousClock.Instant, random: inout SplitMix64) async {
        recorder.journeyStarted()
        defer { recorder.journeyEnded() }
        var due: ContinuousClock.Instant? = intendedStart
        /// The first request counts from the journey's intended start, every later one from its own.
        func nextDue() -> ContinuousClock.Instant? {
            defer { due = nil }
            return due
        }
        switch journey {
        case .browse:
            let (step, path) = listing(&random)
            _ = await request(step, .GET, path, due: nextDue())
            if let product = pick(sample.productIDs, &random) {
                _ = await request("browse.product", .GET, "/v1/products/\(product)", due: nextDue())
            }
            let extra = random.nextDouble()
            if extra < 0.1 {
                _ = await request("browse.brands", .GET, "/v1/brands", due: nextDue())
            } else if extra < 0.2 {
                _ = await request("browse.categories", .GET, "/v1/categories", due: nextDue())
            }
        case .cart:
            guard let cart = await openCart(due: nextDue()), let sku = pick(sample.skus, &random) else { return }
            guard await setLine(cart, sku: sku, quantity: 1, step: "cart.add")?.status == 200 else { return }
            _ = await setLine(cart, sku: sku, quantity: 2, step: "cart.change")
        case .checkout:
            let hot = !sample.hotSKUs.isEmpty && random.nextDouble() < hotShare
            guard let cart = await openCart(due: nextDue()),
                let sku = pick(hot ? sample.hotSKUs : sample.skus, &random),
                await setLine(cart, sku: sku, quantity: 1, step: "cart.add")?.status == 200
            else { return }
            await checkout(cart)
        case .orders:
            guard let order = sample.anOrder(random.nextDouble()) else { return }
            _ = await request("order.lookup", .GET, "/v1/orders/\(order.id)", headers: [("Order-Token", order.token)], due: nextDue())
        }
    }

    private func pick<T>(_ items: [T], _ random: inout SplitMix64) -> T? {
        items.isEmpty ? nil : items[Int(random.next() % UInt64(items.count))]
    }

    /// A listing with filters, a search or a plain page, as shoppers mix them.
    private func listing(_ random: inout SplitMix64) -> (step: String, path: String) {
        let sort = Self.sorts[Int(random.next() % 3)]
        switch random.next() % 5 {
        case 0: return ("browse.list", "/v1/products?limit=24&sort=\(sort)")
        case 1:
            let category = pick(sample.categories, &random) ?? "running"
            return ("browse.filter", "/v1/products?category=\(category)&in_stock=true&sort=\(sort)")
        case 2:
            let brand = pick(sample.brands, &random) ?? "kestrel"
            return ("browse.filter", "/v1/products?brand=\(brand)&gender=\(["men", "women", "unisex"][Int(random.next() % 3)])")
        case 3:
            return ("browse.filter", "/v1/products?size=\(Self.sizes[Int(random.next() % UInt64(Self.sizes.count))])&in_stock=true&sort=\(sort)")
        default:
            return ("browse.search", "/v1/products?q=\(Self.searchTerms[Int(random.next() % UInt64(Self.searchTerms.count))])")
        }
    }

    struct Cart {
        var id: String
        var token: String
    }

    private func openCart(due: ContinuousClock.Instant?) async -> Cart? {
        guard let response = await request("cart.open", .POST, "/v1/carts", due: due), response.status == 201,
            let id = response.json["id"] as? String, let token = response.json["token"] as? String
        else { return nil }
        return Cart(id: id, token: token)
    }

    private func setLine(_ cart: Cart, sku: String, quantity: Int, step: String) async -> Response? {
        await request(
            step,
            .PUT,
            "/v1/carts/\(cart.id)/items/\(sku)",
            headers: [("Cart-Token", cart.token), ("Content-Type", "application/json")],
            body: #"{"quantity": \#(quantity)}"#
        )
    }

    /// Checks out with an Idempotency-Key, retried with the same key (so never two orders) after a
    /// connection error, a timeout, a 503 or a 409 for the same key still running, at most three times.
    private func checkout(_ cart: Cart) async {
        let key = UUID().uuidString
        let body =
            #"{"cart_id": "\#(cart.id)", "email": "shopper@example.org", "shipping_address": {"name": "Launch Shopper", "line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "US"}}"#
        let headers = [("Cart-Token", cart.token), ("Idempotency-Key", key), ("Content-Type", "application/json")]
        for attempt in 0..<4 {
            let (response, outcome) = await exchange(
                attempt == 0 ? "checkout" : "checkout.retry",
                .POST,
                "/v1/orders",
                headers: headers,
                body: body,
                due: nil
            )
            if let response, response.status == 201, let id = response.json["id"] as? String, let token = response.json["order_token"] as? String {
                sample.placed((id, token))
                orders?.acknowledged(id: id, region: response.region)
                return
            }
            let retriable =
                switch outcome {
                case .error(let kind): kind == "connection" || kind == "timeout" || kind.hasPrefix("503")
                case .rejected(let kind): kind == "409 idempotency-key-in-flight"
                case .ok: false
                }
            guard retriable, attempt < 3 else { return }
            try? await Task.sleep(for: .milliseconds(100 << attempt))
        }
    }

    private func request(
        _ step: String,
        _ method: HTTPMethod,
        _ path: String,
        headers: [(String, String)] = [],
        body: String? = nil,
        due: ContinuousClock.Instant? = nil
    ) async -> Response? {
        await exchange(step, method, path, headers: headers, body: body, due: due).response
    }

    /// One request, timed from `due` when given (else from now), recorded with its outcome and the region
    /// that served it.
    private func exchange(
        _ step: String,
        _ method: HTTPMethod,
        _ path: String,
        headers: [(String, String)],
        body: String?,
        due: ContinuousClock.Instant?
    ) async -> (response: Response?, outcome: Outcome) {
        let start = due ?? .now
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let geo { request.headers.add(name: "X-Client-Geo", value: geo) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let bytes = try await response.body.collect(upTo: 4 << 20)
            let latency = ContinuousClock.now - start
            let status = Int(response.status.code)
            let json = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
            let outcome = Self.outcome(step: step, status: status, json: json)
            let region = response.headers.first(name: "X-Region")
            recorder.record(step, latency: latency, outcome: outcome, region: region, due: start)
            return (Response(status: status, json: json, region: region), outcome)
        } catch {
            let outcome = Outcome.error(Self.kind(of: error))
            recorder.record(step, latency: ContinuousClock.now - start, outcome: outcome, region: nil, due: start)
            return (nil, outcome)
        }
    }

    /// 2xx is fine; an answer a rush makes normal is rejected, not failed; the rest fail, named by status and
    /// problem type.
    static func outcome(step: String, status: Int, json: [String: Any]) -> Outcome {
        guard !(200..<300).contains(status) else { return .ok }
        let type = (json["type"] as? String).map { String($0.split(separator: "/").last ?? "") } ?? ""
        let kind = type.isEmpty ? "\(status)" : "\(status) \(type)"
        let expected: Set<String> = step.hasPrefix("checkout") ? ["409 out-of-stock", "409 idempotency-key-in-flight"] : ["409 out-of-stock"]
        return expected.contains(kind) ? .rejected(kind) : .error(kind)
    }

    static func kind(of error: any Error) -> String {
        if let error = error as? HTTPClientError,
            [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .getConnectionFromPoolTimeout].contains(error)
        {
            return "timeout"
        }
        return "connection"
    }
}
