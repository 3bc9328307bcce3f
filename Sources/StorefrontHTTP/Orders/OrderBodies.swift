import Foundation
import Hummingbird
import NIOCore
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

extension OrderBody {
    /// The same document as `JSON.encode(self)`, keys in the same order, at a fraction of the cost: every
    /// checkout and order read answers with it.
    func encoded() -> ByteBuffer {
        var json = JSONWriter(capacity: 768 + lines.count * 400)
        json.object { json in
            json.key("cart_id")
            json.string(cartId)
            json.key("created_at")
            json.date(createdAt)
            json.key("email")
            json.string(email)
            json.key("id")
            json.string(id)
            json.key("lines")
            json.array(lines) { $0.line($1) }
            if let orderToken {
                json.key("order_token")
                json.string(orderToken)
            }
            json.key("region")
            json.string(region)
            if let replicaAgeSeconds {
                json.key("replica_age_seconds")
                json.number(replicaAgeSeconds)
            }
            json.key("shipping_address")
            json.object { json in
                json.key("city")
                json.string(shippingAddress.city)
                json.key("country")
                json.string(shippingAddress.country)
                json.key("line1")
                json.string(shippingAddress.line1)
                if let line2 = shippingAddress.line2 {
                    json.key("line2")
                    json.string(line2)
                }
                json.key("name")
                json.string(shippingAddress.name)
                json.key("postal_code")
                json.string(shippingAddress.postalCode)
            }
            json.key("status")
            json.string(status.rawValue)
            json.key("subtotal")
            json.money(subtotal)
            if let supersededBy {
                json.key("superseded_by")
                json.object { json in
                    json.key("order_id")
                    json.string(supersededBy.orderId)
                    json.key("region")
                    json.string(supersededBy.region)
                }
            }
            json.key("updated_at")
            json.date(updatedAt)
        }
        return json.buffer
    }
}
