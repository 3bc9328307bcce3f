import Foundation
import StorefrontCore
import Synchronization

/// The store in memory, for route tests that need no database: a catalog from `CatalogGenerator`, its stock,
/// carts, orders and idempotency keys, with the rules the routes rely on (tokens, versions, limits, keys).
/// It proves what the HTTP layer does with the store's answers, never what the SQL does: the integration
/// tests run the same routes against PostgreSQL for that.
final class MemoryStore: CatalogStore, CartStore, OrderStore, StockStore, RegionDrains {
    let region: Region
    let cartLifetime: Duration

    private struct StoredCart {
        var cart: Cart
        var tokenDigest: [UInt8]
    }
    private struct StoredOrder {
        var order: Order
        var tokenDigest: [UInt8]
    }
    private struct Claim {
        var fingerprint: [UInt8]
        var outcome: CheckoutOutcome.Result
    }
    private struct State {
        var products: [UUID: Product] = [:]
        var stock: [String: Int] = [:]
        var carts: [UUID: StoredCart] = [:]
        var orders: [UUID: StoredOrder] = [:]
        var keys: [String: Claim] = [:]
        var drain: VersionedDrain = VersionedDrain(drain: nil, version: 0)
    }
    private let state = Mutex(State())

    init(region: Region, products count: Int, cartLifetime: Duration = .seconds(3600)) {
        self.region = region
        self.cartLifetime = cartLifetime
        let generator = CatalogGenerator()
        state.withLock { state in
            for index in 0..<count {
                let product = generator.product(index)
                state.products[product.id] = product
                for variant in product.variants { state.stock[variant.sku] = generator.initialStock(sku: variant.sku, region: region) }
            }
        }
    }

    // MARK: Catalog

    func facets() async throws -> CatalogFacets {
        let products = state.withLock { Array($0.products.values) }
        func count(_ facet: (Product) -> (slug: String, name: String)) -> [Facet] {
            Dictionary(grouping: products.map(facet), by: \.slug)
                .map { Facet(slug: $0.key, name: $0.value[0].name, productCount: $0.value.count) }
                .sorted { $0.slug < $1.slug }
        }
        return CatalogFacets(
            brands: count { ($0.brand.slug, $0.brand.name) },
            categories: count { ($0.category.slug, $0.category.name) },
            readAt: Date()
        )
    }

    func newestProductIDs(limit: Int) async throws -> [UUID] {
        state.withLock { $0.products.values.sorted { ($0.createdAt, $0.id.uuidString) > ($1.createdAt, $1.id.uuidString) } }
            .prefix(limit).map(\.id)
    }

    func products(ids: [UUID], stockIn region: Region) async throws -> [StockedProduct] {
        state.withLock { state in
            ids.compactMap { id in
                state.products[id].map { product in
                    StockedProduct(product, available: Dictionary(uniqueKeysWithValues: product.variants.map { ($0.sku, state.stock[$0.sku] ?? 0) }))
                }
            }
        }
    }

    func productChanges(since: Date) async throws -> ProductChanges { ProductChanges(ids: [], readAt: Date()) }

    func stockChanges(in region: Region, since: Date) async throws -> StockChanges { StockChanges(levels: [], readAt: Date()) }

    /// Every filter of the query; the order is by a key per sort (ascending, ties by id), as cursors need.
    func search(_ query: ProductQuery, after cursor: PageCursor?, stockRegion: Region, limit: Int) async throws -> [PageCursor] {
        let (products, stock) = state.withLock { (Array($0.products.values), $0.stock) }
        let text = query.text?.lowercased()
        let matching = products.compactMap { product -> PageCursor? in
            let variants = product.variants.filter { variant in
                (query.size.map { $0.system == .eu ? variant.euSize == $0.size : variant.usSize == $0.size } ?? true)
                    && (query.colour.map { variant.colour == $0 } ?? true)
                    && (query.minPrice.map { variant.price.amount >= $0 } ?? true)
                    && (query.maxPrice.map { variant.price.amount <= $0 } ?? true)
                    && (!query.inStock || stock[variant.sku, default: 0] > 0)
            }
            guard !variants.isEmpty, query.brand.map({ product.brand.slug == $0 }) ?? true,
                query.category.map({ product.category.slug == $0 }) ?? true,
                query.gender.map({ product.gender == $0 }) ?? true
            else { return nil }
            let relevance = text.map { text in
                [product.name, product.brand.name, product.category.name, product.description].filter { $0.lowercased().contains(text) }.count
            }
            if relevance == 0 { return nil }
            let cheapest = variants.map(\.price.amount).min() ?? 0
            let key: Int64 =
                switch query.sort {
                case .relevance: -Int64(relevance ?? 0)
                case .priceAscending: cheapest
                case .priceDescending: -cheapest
                case .newest: -Int64(product.createdAt.timeIntervalSince1970 * 1000)
                }
            return PageCursor(sortKey: key, id: product.id)
        }
        return
            matching
            .sorted { ($0.sortKey, $0.id.uuidString) < ($1.sortKey, $1.id.uuidString) }
            .filter { match in cursor.map { after in (match.sortKey, match.id.uuidString) > (after.sortKey, after.id.uuidString) } ?? true }
            .prefix(limit).map { $0 }
    }

    // MARK: Carts

    func open(token: AccessToken) async throws -> Cart {
        let now = Date()
        let cart = Cart(
            id: UUID.homed(in: region),
            region: region,
            status: .open,
            version: 1,
            lines: [],
            createdAt: now,
            updatedAt: now,
            expiresAt: now + TimeInterval(cartLifetime.components.seconds)
        )
        state.withLock { $0.carts[cart.id] = StoredCart(cart: cart, tokenDigest: token.digest) }
        return cart
    }

    func cart(_ id: UUID, token: AccessToken) async throws -> Cart {
        try state.withLock { state in try Self.stored(id, token: token, in: state).cart }
    }

    func setQuantity(_ quantity: Int, sku: String, cart id: UUID, token: AccessToken, expectedVersion: Int?) async throws -> Cart {
        try Cart.validate(quantity: quantity)
        return try state.withLock { state in
            var cart = try Self.stored(id, token: token, in: state).cart
            guard cart.status == .open else { throw StorefrontError.cartClosed }
            guard cart.expiresAt > Date() else { throw StorefrontError.cartExpired }
            if let expectedVersion, expectedVersion != cart.version { throw StorefrontError.versionMismatch(current: cart.version) }
            guard let (product, variant) = Self.variant(sku, in: state) else { throw StorefrontError.unknownSKU(sku) }
            let index = cart.lines.firstIndex { $0.sku == sku }
            if quantity == 0 {
                if let index { cart.lines.remove(at: index) }
            } else {
                let line = CartLine(
                    sku: sku,
                    quantity: quantity,
                    productID: product.id,
                    productName: product.name,
                    colour: variant.colour,
                    euSize: variant.euSize,
                    usSize: variant.usSize,
                    width: variant.width,
                    unitPrice: variant.price,
                    available: state.stock[sku] ?? 0
                )
                if let index {
                    cart.lines[index] = line
                } else {
                    guard cart.lines.count < Cart.maxLines else { throw StorefrontError.cartFull(limit: Cart.maxLines) }
                    cart.lines.append(line)
                }
            }
            cart.version += 1
            cart.updatedAt = Date()
            cart.expiresAt = cart.updatedAt + TimeInterval(cartLifetime.components.seconds)
            state.carts[id]?.cart = cart
            return cart
        }
    }

    // MARK: Orders

    /// The key's claim, the cart, the stock and the order in one step, as the database's one transaction.
    func checkout(_ request: Checkout, cartToken: AccessToken, orderToken: AccessToken, idempotencyKey: String) async throws -> CheckoutOutcome {
        let fingerprint = request.fingerprint(cartToken: cartToken)
        return try state.withLock { state in
            if let claim = state.keys[idempotencyKey] {
                guard claim.fingerprint == fingerprint else { throw StorefrontError.idempotencyKeyReused }
                return CheckoutOutcome(claim.outcome, replayed: true)
            }
            let outcome = Self.place(request, cartToken: cartToken, orderToken: orderToken, region: region, &state)
            state.keys[idempotencyKey] = Claim(fingerprint: fingerprint, outcome: outcome)
            return CheckoutOutcome(outcome, replayed: false)
        }
    }

    private static func place(
        _ request: Checkout,
        cartToken: AccessToken,
        orderToken: AccessToken,
        region: Region,
        _ state: inout State
    )
        -> CheckoutOutcome.Result
    {
        guard var cart = try? stored(request.cartID, token: cartToken, in: state).cart else { return .refused(.notFound(resource: "cart")) }
        guard cart.status == .open else { return .refused(.cartClosed) }
        guard cart.expiresAt > Date() else { return .refused(.cartExpired) }
        guard !cart.lines.isEmpty else { return .refused(.invalid("cart_id", "the cart is empty")) }
        guard let subtotal = cart.subtotal else { return .refused(.invalid("cart_id", "the cart's prices cannot be added up")) }
        let shortages = cart.lines.compactMap { line in
            let available = state.stock[line.sku] ?? 0
            return available < line.quantity ? StockShortage(sku: line.sku, requested: line.quantity, available: available) : nil
        }
        guard shortages.isEmpty else { return .refused(.outOfStock(shortages)) }
        for line in cart.lines { state.stock[line.sku, default: 0] -= line.quantity }
        cart.status = .checkedOut
        state.carts[cart.id]?.cart = cart
        let now = Date()
        let order = Order(
            id: UUID.homed(in: region),
            region: region,
            cartID: cart.id,
            status: .placed,
            email: request.email,
            shippingAddress: request.shippingAddress,
            lines: cart.lines.map(OrderLine.init),
            subtotal: subtotal,
            createdAt: now,
            updatedAt: now
        )
        state.orders[order.id] = StoredOrder(order: order, tokenDigest: orderToken.digest)
        return .placed(order)
    }

    func order(_ id: UUID, token: AccessToken) async throws -> Order {
        try state.withLock { state in
            guard let stored = state.orders[id], stored.tokenDigest == token.digest else { throw StorefrontError.notFound(resource: "order") }
            return stored.order
        }
    }

    /// Without a token, as an administrator.
    func apply(_ event: OrderEvent, to id: UUID, token: AccessToken?) async throws -> Order {
        try state.withLock { state in
            guard var stored = state.orders[id], token.map({ $0.digest == stored.tokenDigest }) ?? true else {
                throw StorefrontError.notFound(resource: "order")
            }
            guard let next = stored.order.status.applying(event) else {
                throw StorefrontError.illegalTransition(from: stored.order.status, event: event)
            }
            if event.restoresStock {
                for line in stored.order.lines { state.stock[line.sku, default: 0] += line.quantity }
            }
            stored.order.status = next
            stored.order.updatedAt = Date()
            state.orders[id] = stored
            return stored.order
        }
    }

    func orders(status: OrderStatus?, after: PageCursor?, limit: Int) async throws -> [(order: Order, position: PageCursor)] {
        let orders = state.withLock { $0.orders.values.map(\.order) }
        return
            orders
            .filter { status == nil || $0.status == status }
            .map { (order: $0, position: PageCursor(sortKey: -Int64($0.createdAt.timeIntervalSince1970 * 1_000_000), id: $0.id)) }
            .sorted { ($0.position.sortKey, $0.position.id.uuidString) < ($1.position.sortKey, $1.position.id.uuidString) }
            .filter { entry in after.map { (entry.position.sortKey, entry.position.id.uuidString) > ($0.sortKey, $0.id.uuidString) } ?? true }
            .prefix(limit).map { $0 }
    }

    /// Twin orders come only from regions that placed one checkout twice while apart: never in one memory.
    func reconciliations(limit: Int) async throws -> [OrderReconciliation] { [] }

    // MARK: Stock

    func setAvailable(_ available: Int, sku: String) async throws {
        try state.withLock { state in
            guard Self.variant(sku, in: state) != nil else { throw StorefrontError.unknownSKU(sku) }
            state.stock[sku] = available
        }
    }

    func setPrice(_ price: Money, sku: String) async throws {
        try state.withLock { state in
            guard let (product, _) = Self.variant(sku, in: state) else { throw StorefrontError.unknownSKU(sku) }
            state.products[product.id]?.variants = product.variants.map { variant in
                var variant = variant
                if variant.sku == sku { variant.price = price }
                return variant
            }
        }
    }

    /// Transfers move stock between regions' databases: one memory holds one region.
    func transfer(sku: String, quantity: Int, to destination: Region, idempotencyKey: String) async throws -> StockTransfer {
        throw StorefrontError.invalid("region", "one region's memory has no other region to send stock to")
    }

    func transfer(_ id: UUID) async throws -> StockTransfer? { nil }

    func receiveTransfers() async throws -> Int { 0 }

    // MARK: Drains

    func drain(_ drain: Drain) async throws -> VersionedDrain {
        state.withLock { state in
            state.drain = VersionedDrain(drain: drain, version: state.drain.version + 1)
            return state.drain
        }
    }

    func lift() async throws -> VersionedDrain {
        state.withLock { state in
            state.drain = VersionedDrain(drain: nil, version: state.drain.version + 1)
            return state.drain
        }
    }

    // MARK: Lookups

    private static func stored(_ id: UUID, token: AccessToken, in state: State) throws -> StoredCart {
        guard let stored = state.carts[id], stored.tokenDigest == token.digest else { throw StorefrontError.notFound(resource: "cart") }
        return stored
    }

    private static func variant(_ sku: String, in state: State) -> (Product, Variant)? {
        for product in state.products.values {
            if let variant = product.variants.first(where: { $0.sku == sku }) { return (product, variant) }
        }
        return nil
    }
}
