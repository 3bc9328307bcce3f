import Foundation
import PostgresNIO
import StorefrontCore

/// Why a write function (migration 0009) placed or changed nothing, as its `refusal` column says it:
/// `{"kind": "out_of_stock", "shortages": [...]}` and the like. Refusals are answers, not failures: the
/// function wrote nothing, or only the refusal as its idempotency key's outcome.
struct Refusal: Decodable, PostgresDecodable, Sendable {
    var kind: String
    var region: String?
    var cartID: UUID?
    var current: Int?
    var sku: String?
    var limit: Int?
    var shortages: [StockShortage]?

    enum CodingKeys: String, CodingKey {
        case kind, region, current, sku, limit, shortages
        case cartID = "cart_id"
    }

    /// The domain's error for the refusal; a kind this binary does not know throws rather than guess.
    func error() throws -> StorefrontError {
        switch kind {
        case "not_found": return .notFound(resource: "cart")
        case "cart_closed": return .cartClosed
        case "cart_expired": return .cartExpired
        case "cart_empty": return .invalid("cart_id", "the cart is empty")
        case "mixed_currencies": return .invalid("cart_id", "the cart's prices cannot be added up")
        case "cart_adopted":
            if let region, let cartID { return .cartAdopted(region: try Region(region), cartID: cartID) }
        case "version_mismatch":
            if let current { return .versionMismatch(current: current) }
        case "unknown_sku":
            if let sku { return .unknownSKU(sku) }
        case "cart_full":
            if let limit { return .cartFull(limit: limit) }
        case "out_of_stock":
            if let shortages { return .outOfStock(shortages) }
        default:
            break
        }
        throw UnreadableStoredValue(what: "a refusal of kind '\(kind)' with fields this binary does not read")
    }
}
