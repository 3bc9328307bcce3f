import Foundation
import Logging
import NIOCore
import PostgresNIO
import StorefrontCore

/// Orders and checkout in PostgreSQL.
///
/// A checkout is one transaction with a fixed number of statements whatever the number of lines: lock the
/// cart (adopting it if it is homed in a region that is away), price its lines, write the order, its lines,
/// the closed cart and the idempotency response in one statement, and last take the stock with one
/// conditional UPDATE (after locking the rows in SKU order when there are several), so that a hot SKU's row
/// is locked for one statement and the commit.
public struct PostgresOrderStore: OrderStore {
    let client: PostgresClient
    let region: Region
    let resolver: CartResolver
    let logger: Logger
    /// A key left `running` this long belongs to a request that died before finishing: it may be claimed again.
    static let abandonedAfterSeconds: Int64 = 60

    /// `cartLifetime` is the idle lifetime of carts this store adopts from regions that are away.
    public init(client: PostgresClient, region: Region, cartLifetime: Duration, logger: Logger) {
        self.client = client
        self.region = region
        self.resolver = CartResolver(region: region, idleLifetime: cartLifetime, logger: logger)
        self.logger = logger
    }

    // MARK: Idempotency

    public func claim(idempotencyKey key: String, fingerprint: [UInt8]) async throws -> IdempotencyClaim {
        let fingerprint = ByteBuffer(bytes: fingerprint)
        // The insert is the claim: a conflict means the key exists here, and only then do we look at it. A
        // claimed key comes back with another region's placed order under it, if one has replicated here.
        let claimed = try await client.rows(
            """
            WITH claimed AS (
                INSERT INTO idempotency_keys (region, key, fingerprint, state) VALUES (\(region.name), \(key), \(fingerprint), 'running')
                ON CONFLICT (region, key) DO UPDATE SET claimed_at = now()
                    WHERE idempotency_keys.state = 'running' AND idempotency_keys.fingerprint = EXCLUDED.fingerprint
                      AND idempotency_keys.claimed_at < now() - \(Self.abandonedAfterSeconds) * interval '1 second'
                RETURNING 1
            )
            SELECT elsewhere.fingerprint, elsewhere.response_status, elsewhere.response_body FROM claimed
            LEFT JOIN LATERAL (
                SELECT fingerprint, response_status, response_body FROM idempotency_keys
                WHERE key = \(key) AND region <> \(region.name) AND state = 'done' AND response_status = 201
                ORDER BY claimed_at, region LIMIT 1
            ) elsewhere ON true
            """,
            logger: logger
        )
        if let row = claimed.first {
            let (stored, status, body) = try row.decode((ByteBuffer?, Int?, ByteBuffer?).self)
            guard let stored, let status, let body else { return .claimed }
            return try await placedElsewhere(key, fingerprint, StoredResponse(status: status, body: Array(body.readableBytesView)), stored)
        }

        let rows = try await client.rows(
            """
            SELECT fingerprint, state, response_status, response_body FROM idempotency_keys
            WHERE region = \(region.name) AND key = \(key)
            """,
            logger: logger
        )
        guard let row = rows.first else {
            // Released between our insert and this read by a request that failed on the server: try again.
            return try await claim(idempotencyKey: key, fingerprint: Array(fingerprint.readableBytesView))
        }
        let (stored, state, status, body) = try row.decode((ByteBuffer, String, Int?, ByteBuffer?).self)
        guard stored == fingerprint else { throw StorefrontError.idempotencyKeyReused }
        guard state == "done", let status, let body else { throw StorefrontError.idempotencyKeyInFlight }
        return .replay(StoredResponse(status: status, body: Array(body.readableBytesView)))
    }

    /// For a key new here, just claimed: a checkout another region already placed under it (the retry of
    /// a checkout whose answer was lost, through another region), as replicated here. Its answer becomes
    /// this region's answer to the key too. Only placed orders count: another region's refusal spoke of
    /// that region's state then.
    private func placedElsewhere(
        _ key: String,
        _ fingerprint: ByteBuffer,
        _ response: StoredResponse,
        _ stored: ByteBuffer
    ) async throws -> IdempotencyClaim {
        guard stored == fingerprint else {
            try await settle(idempotencyKey: key, response: nil)
            throw StorefrontError.idempotencyKeyReused
        }
        try await settle(idempotencyKey: key, response: response)
        return .replay(response)
    }

    public func settle(idempotencyKey key: String, response: StoredResponse?) async throws {
        if let response {
            try await client.run(
                """
                UPDATE idempotency_keys SET state = 'done', response_status = \(response.status),
                    response_body = \(ByteBuffer(bytes: response.body))
                WHERE region = \(region.name) AND key = \(key) AND state = 'running'
                """,
                logger: logger
            )
        } else {
            try await client.run(
                "DELETE FROM idempotency_keys WHERE region = \(region.name) AND key = \(key) AND state = 'running'",
                logger: logger
            )
        }
    }

    // MARK: Checkout

    public func checkout(
        _ request: Checkout,
        cartToken: AccessToken,
        orderToken: AccessToken,
        idempotencyKey: String,
        render: @Sendable (Order) throws -> StoredResponse
    ) async throws -> StoredResponse {
        try await client.transaction(logger: logger) { connection in
            let cart = try await resolver.resolve(request.cartID, token: cartToken, connection)
            let cartID = cart.id
            let (lines, now) = try await pricedLines(of: cartID, connection)
            guard !lines.isEmpty else { throw StorefrontError.invalid("cart_id", "the cart is empty") }

            let orderLines = lines.map(OrderLine.init)
            guard let subtotal = lines.subtotal else { throw StorefrontError.invalid("cart_id", "the cart's prices cannot be added up") }
            let orderID = UUID.homed(in: region)
            let address = String(decoding: try Self.addressEncoder.encode(request.shippingAddress), as: UTF8.self)
            // `now()` is the transaction's start: the order's created_at as the database sets it.
            let order = Order(
                id: orderID,
                region: region,
                cartID: cartID,
                status: .placed,
                email: request.email,
                shippingAddress: request.shippingAddress,
                lines: orderLines,
                subtotal: subtotal,
                createdAt: now,
                updatedAt: now
            )
            let response = try render(order)
            // The order, its lines, the closed cart and the stored answer: one statement.
            try await connection.run(
                """
                WITH placed AS (
                    INSERT INTO orders (region, id, cart_id, cart_root, token_digest, status, email, shipping_address, subtotal_amount, currency)
                    VALUES (\(region.name), \(orderID), \(cartID), \(cart.root), \(ByteBuffer(bytes: orderToken.digest)), 'placed',
                            \(request.email), \(address)::jsonb, \(subtotal.amount), \(subtotal.currency.code))
                ), lines AS (
                    INSERT INTO order_lines (region, order_id, sku, product_id, product_name, colour, eu_size, us_size, width,
                                             quantity, unit_price_amount, currency)
                    SELECT \(region.name), \(orderID), * FROM unnest(
                        \(orderLines.map(\.sku))::text[], \(orderLines.map(\.productID))::uuid[], \(orderLines.map(\.productName))::text[],
                        \(orderLines.map(\.colour))::text[], \(orderLines.map(\.euSize))::text[], \(orderLines.map(\.usSize))::text[],
                        \(orderLines.map(\.width.rawValue))::text[], \(orderLines.map { Int32($0.quantity) })::int4[],
                        \(orderLines.map(\.unitPrice.amount))::int8[], \(orderLines.map(\.unitPrice.currency.code))::text[])
                ), closed AS (
                    UPDATE carts SET status = 'checked_out', version = version + 1, updated_at = now()
                    WHERE region = \(region.name) AND id = \(cartID)
                )
                UPDATE idempotency_keys SET state = 'done', response_status = \(response.status),
                    response_body = \(ByteBuffer(bytes: response.body))
                WHERE region = \(region.name) AND key = \(idempotencyKey)
                """,
                logger: logger
            )
            // Last: a launch's hot SKU is one row every checkout locks, and it stays locked only for this and
            // the commit. A shortage rolls everything above back.
            try await takeStock(stockRequest(lines.map { (sku: $0.sku, quantity: $0.quantity) }), connection)
            return response
        }
    }

    /// The lines of a local cart, priced from the catalog as it is now, and the transaction's `now()`.
    private func pricedLines(of cartID: UUID, _ connection: PostgresConnection) async throws -> (lines: [CartLine], now: Date) {
        let rows = try await connection.rows(
            """
            SELECT i.sku, i.quantity, v.product_id, p.name, v.colour, v.eu_size_tenths, v.us_size_tenths, v.width,
                   v.price_amount, v.currency, now()
            FROM cart_items i JOIN variants v ON v.sku = i.sku JOIN products p ON p.id = v.product_id
            WHERE i.region = \(region.name) AND i.cart_id = \(cartID)
            ORDER BY i.sku
            """,
            logger: logger
        )
        var lines: [CartLine] = []
        var now = Date()
        for row in rows {
            let (sku, quantity, productID, productName, colour, euSize, usSize, width, priceAmount, currency, transactionNow) =
                try row.decode((String, Int, UUID, String, String, Int16, Int16, String, Int64, String, Date).self)
            lines.append(
                try CartLine((sku, quantity, productID, productName, colour, euSize, usSize, width, priceAmount, currency), available: 0)
            )
            now = transactionNow
        }
        return (lines, now)
    }

    /// Takes the units from this region's allocation, or throws `outOfStock` listing every short SKU.
    private func takeStock(_ wanted: [(sku: String, quantity: Int)], _ connection: PostgresConnection) async throws {
        let skus = wanted.map(\.sku)
        if skus.count > 1 {
            // Lock in SKU order first: every checkout and cancel does, so none waits on another in a cycle.
            try await connection.run(
                "SELECT 1 FROM stock WHERE region = \(region.name) AND sku = ANY(\(skus)) ORDER BY sku FOR UPDATE",
                logger: logger
            )
        }
        var taken = Set<String>()
        for sku in try await connection.rows(
            """
            UPDATE stock s SET available = s.available - w.quantity
            FROM unnest(\(skus)::text[], \(wanted.map { Int32($0.quantity) })::int4[]) AS w (sku, quantity)
            WHERE s.region = \(region.name) AND s.sku = w.sku AND s.available >= w.quantity
            RETURNING s.sku
            """,
            logger: logger
        ).decode(String.self) {
            taken.insert(sku)
        }
        guard taken.count == wanted.count else {
            // What the short SKUs have; the transaction rolls back what was taken of the others.
            var available: [String: Int] = [:]
            for (sku, count) in try await connection.rows(
                "SELECT sku, available FROM stock WHERE region = \(region.name) AND sku = ANY(\(skus))",
                logger: logger
            ).decode((String, Int32).self) {
                available[sku] = Int(count)
            }
            throw StorefrontError.outOfStock(
                wanted.compactMap { line in
                    taken.contains(line.sku) ? nil : StockShortage(sku: line.sku, requested: line.quantity, available: available[line.sku] ?? 0)
                }
            )
        }
    }

    // MARK: Orders

    public func order(_ id: UUID, token: AccessToken) async throws -> Order {
        let orders = try await load(ids: [id], token: token)
        guard let order = orders.first else { throw StorefrontError.notFound(resource: "order") }
        return order
    }

    public func apply(_ event: OrderEvent, to id: UUID, token: AccessToken?) async throws -> Order {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.rows(
                "SELECT token_digest, status, region FROM orders WHERE id = \(id) FOR UPDATE",
                logger: logger
            )
            guard let row = rows.first else { throw StorefrontError.notFound(resource: "order") }
            let (digest, statusText, home) = try row.decode((ByteBuffer, String, String).self)
            if let token, !constantTimeEquals(digest.readableBytesView, token.digest) {
                throw StorefrontError.notFound(resource: "order")
            }
            guard home == region.name else { throw StorefrontError.homedElsewhere(resource: "order", home: try Region(home)) }
            let status = try known(OrderStatus.init(rawValue:), statusText, in: "orders.status")
            guard let next = status.applying(event) else { throw StorefrontError.illegalTransition(from: status, event: event) }
            try await connection.run(
                "UPDATE orders SET status = \(next.rawValue) WHERE region = \(region.name) AND id = \(id)",
                logger: logger
            )
            if event.restoresStock {
                // The order row is locked and its status changed under that lock: this runs once per order.
                try await Self.restoreStock(of: id, region: region, connection, logger: logger)
            }
            guard let order = try await load(ids: [id], token: nil, connection).first else {
                throw UnreadableStoredValue(what: "order \(id) was changed and then not found")
            }
            return order
        }
    }

    /// Gives a cancelled order's units back to its region's stock. The caller holds the order's row lock and
    /// changed its status under it, so this runs once per order.
    static func restoreStock(of id: UUID, region: Region, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(
            """
            SELECT s.sku FROM stock s JOIN order_lines l ON l.sku = s.sku
            WHERE s.region = \(region.name) AND l.region = \(region.name) AND l.order_id = \(id)
            ORDER BY s.sku FOR UPDATE OF s
            """,
            logger: logger
        )
        try await connection.run(
            """
            UPDATE stock s SET available = s.available + l.quantity FROM order_lines l
            WHERE l.region = \(region.name) AND l.order_id = \(id) AND s.region = \(region.name) AND s.sku = l.sku
            """,
            logger: logger
        )
    }

    public func reconciliations(limit: Int) async throws -> [OrderReconciliation] {
        var reconciliations: [OrderReconciliation] = []
        for (id, home, standing, standingRegion, status, at) in try await client.rows(
            """
            SELECT id, region, superseded_by, superseded_by_region, status, reconciled_at FROM orders
            WHERE reconciled_at IS NOT NULL ORDER BY reconciled_at DESC LIMIT \(limit)
            """,
            logger: logger
        ).decode((UUID, String, UUID, String, String, Date).self) {
            reconciliations.append(
                OrderReconciliation(
                    order: OrderReference(id: id, region: try Region(home)),
                    standing: OrderReference(id: standing, region: try Region(standingRegion)),
                    status: try known(OrderStatus.init(rawValue:), status, in: "orders.status"),
                    reconciledAt: at
                )
            )
        }
        return reconciliations
    }

    public func orders(status: OrderStatus?, after: PageCursor?, limit: Int) async throws -> [(order: Order, position: PageCursor)] {
        try await client.withConnection { connection in
            var positions: [PageCursor] = []
            for (id, micros) in try await connection.rows(
                """
                SELECT id, (extract(epoch FROM created_at) * 1000000)::int8 FROM orders
                WHERE region = \(region.name) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                  AND (\(after?.id)::uuid IS NULL
                       OR (created_at, id) < ('epoch'::timestamptz + \(after?.sortKey) * interval '1 microsecond', \(after?.id)))
                ORDER BY created_at DESC, id DESC
                LIMIT \(limit)
                """,
                logger: logger
            ).decode((UUID, Int64).self) {
                positions.append(PageCursor(sortKey: micros, id: id))
            }
            let orders = try await load(ids: positions.map(\.id), token: nil, connection)
            return zip(orders, positions).map { (order: $0, position: $1) }
        }
    }

    private func load(ids: [UUID], token: AccessToken?) async throws -> [Order] {
        try await client.withConnection { try await load(ids: ids, token: token, $0) }
    }

    /// Orders with their lines, in the order of `ids`, in one query. With a token, only an order it opens.
    private func load(ids: [UUID], token: AccessToken?, _ connection: PostgresConnection) async throws -> [Order] {
        guard !ids.isEmpty else { return [] }
        let rows = try await connection.rows(
            """
            SELECT o.id, o.token_digest, o.region, o.cart_id, o.status, o.email, o.shipping_address::text,
                   o.subtotal_amount, o.currency, o.created_at, o.updated_at,
                   CASE WHEN o.region <> \(region.name) THEN replica_age_seconds(o.region) END,
                   o.superseded_by, o.superseded_by_region,
                   l.sku, l.product_id, l.product_name, l.colour, l.eu_size, l.us_size, l.width, l.quantity,
                   l.unit_price_amount, l.currency
            FROM orders o JOIN order_lines l ON l.region = o.region AND l.order_id = o.id
            WHERE o.id = ANY(\(ids))
            ORDER BY o.id, l.sku
            """,
            logger: logger
        )
        var orders: [UUID: Order] = [:]
        for row in rows {
            let (
                id, tokenDigest, home, cartID, status, email, shippingAddress, subtotal, currency, createdAt, updatedAt,
                replicaAge, supersededBy, supersededByRegion,
                sku, productID, productName, colour, euSize, usSize, width, quantity, unitPrice, lineCurrency
            ) = try row.decode(
                (
                    UUID, ByteBuffer, String, UUID, String, String, String, Int64, String, Date, Date,
                    Double?, UUID?, String?,
                    String, UUID, String, String, String, String, String, Int32, Int64, String
                ).self
            )
            if orders[id] == nil {
                // Every row of an order carries its digest: one the token does not open is skipped row by row.
                if let token, !constantTimeEquals(tokenDigest.readableBytesView, token.digest) { continue }
                orders[id] = Order(
                    id: id,
                    region: try Region(home),
                    cartID: cartID,
                    status: try known(OrderStatus.init(rawValue:), status, in: "orders.status"),
                    email: email,
                    shippingAddress: try Self.addressDecoder.decode(ShippingAddress.self, from: Data(shippingAddress.utf8)),
                    lines: [],
                    subtotal: Money(amount: subtotal, currency: try known(Currency.init, currency, in: "orders.currency")),
                    createdAt: createdAt,
                    updatedAt: updatedAt,
                    replicaAge: replicaAge
                )
                if let supersededBy, let supersededByRegion {
                    orders[id]?.supersededBy = OrderReference(id: supersededBy, region: try Region(supersededByRegion))
                }
            }
            orders[id]?.lines.append(
                OrderLine(
                    sku: sku,
                    productID: productID,
                    productName: productName,
                    colour: colour,
                    euSize: euSize,
                    usSize: usSize,
                    width: try known(Width.init(rawValue:), width, in: "order_lines.width"),
                    quantity: Int(quantity),
                    unitPrice: Money(amount: unitPrice, currency: try known(Currency.init, lineCurrency, in: "order_lines.currency"))
                )
            )
        }
        return ids.compactMap { orders[$0] }
    }

    static let addressEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static let addressDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
