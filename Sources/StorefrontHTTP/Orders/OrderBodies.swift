import Foundation
import Hummingbird
import StorefrontCore

/// An order as its shopper (or an admin) sees it; `order_token` only in the checkout response.
struct OrderBody: Encodable {
    var id: String
    var region: String
    var cartId: String
    var status: OrderStatus
    var email: String
    var shippingAddress: ShippingAddress
    var lines: [LineBody]
    var subtotal: Money
    var createdAt: Date
    var updatedAt: Date
    var orderToken: String?
    /// Set when the order is homed in another region and was read from this region's replica.
    var replicaAgeSeconds: Double?
    /// Set when this order duplicated a checkout that another order already placed: that order stands.
    var supersededBy: OrderReferenceBody?

    init(_ order: Order, token: AccessToken? = nil) {
        id = order.id.uuidString.lowercased()
        region = order.region.name
        cartId = order.cartID.uuidString.lowercased()
        status = order.status
        email = order.email
        shippingAddress = order.shippingAddress
        lines = order.lines.map { LineBody($0) }
        subtotal = order.subtotal
        createdAt = order.createdAt
        updatedAt = order.updatedAt
        orderToken = token?.value
        replicaAgeSeconds = order.replicaAge
        supersededBy = order.supersededBy.map(OrderReferenceBody.init)
    }
}

struct OrderReferenceBody: Encodable {
    var orderId: String
    var region: String

    init(_ reference: OrderReference) {
        orderId = reference.id.uuidString.lowercased()
        region = reference.region.name
    }
}

struct ReconciliationListBody: ResponseEncodable {
    var items: [ReconciliationBody]
}

/// One superseded duplicate, for operators.
struct ReconciliationBody: Encodable {
    var order: OrderReferenceBody
    var standing: OrderReferenceBody
    var status: OrderStatus
    var reconciledAt: Date

    init(_ reconciliation: OrderReconciliation) {
        order = OrderReferenceBody(reconciliation.order)
        standing = OrderReferenceBody(reconciliation.standing)
        status = reconciliation.status
        reconciledAt = reconciliation.reconciledAt
    }
}

struct OrderListBody: ResponseEncodable {
    var items: [OrderBody]
    var limit: Int
    var nextCursor: String?

    enum CodingKeys: String, CodingKey { case items, limit, nextCursor }

    /// `next_cursor` is `null` on the last page, as in every list, rather than missing.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(limit, forKey: .limit)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}
