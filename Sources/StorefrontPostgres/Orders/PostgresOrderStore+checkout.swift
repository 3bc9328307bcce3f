import Foundation
import PostgresNIO
import StorefrontCore

extension PostgresOrderStore {
    /// One statement (`checkout_place`): the key's claim, the cart's lock (adopting a cart homed in a region
    /// that is away), its lines priced, the stock locked in SKU order and checked, the order written with the
    /// closed cart and the taken stock, and the outcome recorded with the key, all in one transaction. A hot
    /// SKU's row stays locked from its check to the commit, with no round trip in between.
    public func checkout(
        _ request: Checkout,
        cartToken: AccessToken,
        orderToken: AccessToken,
        idempotencyKey: String
    ) async throws
        -> CheckoutOutcome
    {
        let place = PlaceOrder(
            region: region,
            idempotencyKey: idempotencyKey,
            fingerprint: request.fingerprint(cartToken: cartToken),
            cartID: request.cartID,
            cartToken: cartToken,
            orderID: UUID.homed(in: region),
            orderToken: orderToken,
            email: request.email,
            address: String(decoding: try OrderRow.addressEncoder.encode(request.shippingAddress), as: UTF8.self),
            adoptee: UUID.homed(in: region),
            cartLifetimeSeconds: cartLifetime.components.seconds
        )
        let rows = try await client.rows(place, logger: logger)
        guard let first = rows.first, let outcome = first.outcome else {
            throw UnreadableStoredValue(what: "checkout_place returned no outcome")
        }
        switch outcome {
        case "placed", "replayed":
            let replayed = outcome == "replayed"
            if let order = rows.orders.first {
                if order.cartID == place.adoptee {
                    logger.info("adopted a cart from a region that is away", metadata: ["cart": "\(request.cartID)", "adoptee": "\(order.cartID)"])
                }
                return CheckoutOutcome(.placed(order), replayed: replayed)
            }
            if let refusal = first.refusal { return CheckoutOutcome(.refused(try refusal.error()), replayed: replayed) }
            if let stored = first.storedAnswer {
                return CheckoutOutcome(.storedAnswer(status: stored.status, body: Array(stored.body.readableBytesView)), replayed: replayed)
            }
        case "refused":
            if let refusal = first.refusal { return CheckoutOutcome(.refused(try refusal.error()), replayed: false) }
        case "key_reused":
            throw StorefrontError.idempotencyKeyReused
        case "key_in_flight":
            throw StorefrontError.idempotencyKeyInFlight
        default:
            break
        }
        throw UnreadableStoredValue(what: "checkout_place answered '\(outcome)' without what that outcome carries")
    }
}
