import Foundation
import PostgresNIO
import StorefrontCore

extension PostgresOrderStore {
    /// One statement (`checkout_place`): the key's claim, the cart's lock (adopting a cart homed in a region
    /// that is away), its lines priced, the order written with the closed cart and the outcome recorded with
    /// the key, and last the stock taken, all in one transaction: a hot SKU's row stays locked for one UPDATE
    /// and the commit. A second round trip only when the last units went to another checkout meanwhile.
    public func checkout(
        _ request: Checkout,
        cartToken: AccessToken,
        orderToken: AccessToken,
        idempotencyKey: String
    ) async throws
        -> CheckoutOutcome
    {
        var place = PlaceOrder(
            region: region,
            idempotencyKey: idempotencyKey,
            fingerprint: request.fingerprint(cartToken: cartToken),
            cartID: request.cartID,
            cartToken: cartToken,
            orderID: UUID.homed(in: region),
            orderToken: orderToken,
            email: request.email,
            address: request.shippingAddress,
            adoptee: UUID.homed(in: region),
            cartLifetimeSeconds: cartLifetime.components.seconds
        )
        let rows: [OrderRow]
        do {
            rows = try await client.rows(place, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == PlaceOrder.lineRanShort {
            // Another checkout took the last units while this one wrote its order, which is undone: the careful
            // way settles it, refusing (and recording the refusal) if the line is still short.
            place.stockFirst = true
            rows = try await client.rows(place, logger: logger)
        }
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
