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

    struct StatusRequest: Decodable { var status: OrderStatus }
    struct StockRequest: Decodable { var available: Int }
    struct StockBody: ResponseEncodable {
        var sku: String
        var region: String
        var available: Int
    }
    struct PriceRequest: Decodable { var price: Money }
    struct TransferRequest: Decodable {
        var sku: String
        var from: String
        var to: String
        var quantity: Int
    }
    struct TransferBody: ResponseEncodable {
        var id: String
        var sku: String
        var from: String
        var to: String
        var quantity: Int
        var status: String
        var createdAt: Date
        var receivedAt: Date?

        init(_ transfer: StockTransfer) {
            id = transfer.id.uuidString.lowercased()
            sku = transfer.sku
            from = transfer.from.name
            to = transfer.to.name
            quantity = transfer.quantity
            status = transfer.receivedAt == nil ? "sent" : "received"
            createdAt = transfer.createdAt
            receivedAt = transfer.receivedAt
        }
    }

    public func addRoutes(to group: RouterGroup<AppRequestContext>, region: Region) {
        let admin = group.group("admin").add(middleware: AdminAuthMiddleware(token: adminToken))
        admin.get("orders", use: list)
        // Every region's superseded duplicates, as replication has brought them here.
        admin.get("reconciliations") { _, _ in
            ReconciliationListBody(items: try await orders.reconciliations(limit: 200).map(ReconciliationBody.init))
        }
        admin.post("orders/{id}/status") { request, context in
            guard let id = context.parameters.get("id", as: UUID.self) else {
                throw StorefrontError.notFound(resource: "order")
            }
            let body = try await request.decode(as: StatusRequest.self, context: context)
            guard let event = OrderEvent.leading(to: body.status) else {
                throw StorefrontError.invalid("status", "must be paid, shipped, delivered or cancelled")
            }
            return OrderController<Orders>.respond(try await orders.apply(event, to: id, token: nil))
        }
        admin.put("stock/{sku}") { request, context in
            let sku = try context.parameters.require("sku")
            let body = try await request.decode(as: StockRequest.self, context: context)
            guard (0...1_000_000).contains(body.available) else {
                throw StorefrontError.invalid("available", "must be 0-1000000")
            }
            try await stock.setAvailable(body.available, sku: sku)
            return StockBody(sku: sku, region: region.name, available: body.available)
        }
        admin.put("variants/{sku}/price") { request, context in
            let body = try await request.decode(as: PriceRequest.self, context: context)
            guard body.price.amount > 0 else { throw StorefrontError.invalid("price.amount", "must be positive minor units") }
            try await stock.setPrice(body.price, sku: try context.parameters.require("sku"))
            return Response(status: .noContent)
        }
        admin.post("stock/transfers") { request, context in
            let key = try request.idempotencyKey()
            let body = try await request.decode(as: TransferRequest.self, context: context)
            var errors: [FieldError] = []
            let from = try? Region(body.from)
            let to = try? Region(body.to)
            if from == nil { errors.append(FieldError(field: "from", detail: "must be a region name")) }
            if to == nil { errors.append(FieldError(field: "to", detail: "must be a region name")) }
            if !(1...100_000).contains(body.quantity) { errors.append(FieldError(field: "quantity", detail: "must be 1-100000")) }
            guard errors.isEmpty, let from, let to else { throw StorefrontError.invalidRequest(errors) }
            // Only the source region may take units from its own allocation.
            guard from == region else { throw StorefrontError.homedElsewhere(resource: "stock allocation", home: from) }
            let transfer = try await stock.transfer(sku: body.sku, quantity: body.quantity, to: to, idempotencyKey: key)
            return EditedResponse(
                status: .accepted,
                headers: [.location: "/v1/admin/stock/transfers/\(transfer.id.uuidString.lowercased())"],
                response: TransferBody(transfer)
            )
        }
        admin.get("stock/transfers/{id}") { _, context in
            guard let id = context.parameters.get("id", as: UUID.self), let transfer = try await stock.transfer(id) else {
                throw StorefrontError.notFound(resource: "transfer")
            }
            return TransferBody(transfer)
        }
    }

    /// `GET /v1/admin/orders?status=placed&limit=50&cursor=…`: this region's orders, newest first.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> OrderListBody {
        var status: OrderStatus?
        var limit = 50
        var cursorText: String?
        var errors: [FieldError] = []
        for (name, value) in try QueryString.pairs(request.uri.query) {
            switch name {
            case "status":
                status = OrderStatus(rawValue: value)
                if status == nil {
                    errors.append(
                        FieldError(field: "status", detail: "must be one of \(OrderStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                    )
                }
            case "limit":
                if let number = Int(value), (1...200).contains(number) {
                    limit = number
                } else {
                    errors.append(FieldError(field: "limit", detail: "must be a whole number from 1 to 200"))
                }
            case "cursor": cursorText = value
            default: errors.append(FieldError(field: name, detail: "unknown query parameter; known: status, limit, cursor"))
            }
        }
        guard errors.isEmpty else { throw StorefrontError.invalidRequest(errors) }
        let scope = "admin-orders:\(status?.rawValue ?? "")"
        let after = try cursorText.map { text throws(StorefrontError) in try cursors.open(text, scope: scope) }
        let fetched = try await orders.orders(status: status, after: after, limit: limit + 1)
        let page = cursors.page(of: fetched, limit: limit, scope: scope) { $0.position }
        return OrderListBody(items: page.items.map { OrderBody($0.order) }, limit: limit, nextCursor: page.next)
    }
}
