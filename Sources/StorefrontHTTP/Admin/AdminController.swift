import Foundation
import HTTPTypes
import Hummingbird
import StorefrontCore

/// Admin calls, all behind the admin bearer token: order transitions, the order list, stock allocations.
public struct AdminController<Orders: OrderStore, Stock: StockStore>: Sendable {
    let orders: Orders
    let stock: Stock
    let cursors: CursorCodec
    let adminToken: String?

    public init(orders: Orders, stock: Stock, cursors: CursorCodec, adminToken: String?) {
        self.orders = orders
        self.stock = stock
        self.cursors = cursors
        self.adminToken = adminToken
    }

    struct StatusBody: Decodable { var status: OrderStatus }
    struct StockBody: Decodable { var available: Int }
    struct StockAnswer: Encodable {
        var sku: String
        var region: String
        var available: Int
    }

    public func addRoutes(to group: RouterGroup<AppRequestContext>, region: Region) {
        let admin = group.group("admin").add(middleware: AdminAuthMiddleware(token: adminToken))
        admin.get("orders", use: list)
        admin.post("orders/{id}/status") { request, context in
            guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
                throw StorefrontError.notFound(resource: "order")
            }
            let body = try await request.decodeJSON(StatusBody.self, context: context)
            guard let event = OrderEvent.leading(to: body.status) else {
                throw StorefrontError.invalid("status", "must be paid, shipped, delivered or cancelled")
            }
            return try OrderController<Orders>.respond(try await orders.apply(event, to: id, token: nil))
        }
        admin.put("stock/{sku}") { request, context in
            let sku = context.parameters.get("sku") ?? ""
            let body = try await request.decodeJSON(StockBody.self, context: context)
            guard (0...1_000_000).contains(body.available) else {
                throw StorefrontError.invalid("available", "must be 0-1000000")
            }
            try await stock.setAvailable(body.available, sku: sku)
            return try JSON.response(StockAnswer(sku: sku, region: region.name, available: body.available))
        }
    }

    /// `GET /v1/admin/orders?status=placed&limit=50&cursor=…`: this region's orders, newest first.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var status: OrderStatus?
        var limit = 50
        var cursorText: String?
        var errors: [FieldError] = []
        for (name, value) in try QueryString.pairs(request.uri.query) {
            switch name {
            case "status":
                status = OrderStatus(rawValue: value)
                if status == nil { errors.append(FieldError(field: "status", detail: "must be one of \(OrderStatus.allCases.map(\.rawValue).joined(separator: ", "))")) }
            case "limit":
                if let number = Int(value), (1...200).contains(number) { limit = number } else {
                    errors.append(FieldError(field: "limit", detail: "must be a whole number from 1 to 200"))
                }
            case "cursor": cursorText = value
            default: errors.append(FieldError(field: name, detail: "unknown query parameter; known: status, limit, cursor"))
            }
        }
        guard errors.isEmpty else { throw StorefrontError.invalidRequest(errors) }
        let scope = "admin-orders:\(status?.rawValue ?? "")"
        let after = try cursorText.map { text throws(StorefrontError) in try cursors.open(text, scope: scope) }
        let page = try await orders.orders(status: status, after: after, limit: limit + 1)
        let items = page.prefix(limit)
        let next = page.count > limit ? items.last.map { cursors.seal($0.position, scope: scope) } : nil
        return try JSON.response(OrderListBody(items: items.map { OrderBody($0.order) }, limit: limit, nextCursor: next))
    }
}
