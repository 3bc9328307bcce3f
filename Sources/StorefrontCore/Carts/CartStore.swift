import Foundation

/// Carts, as the serving region keeps them. Every call that reads or changes a cart proves the right to it
/// with the cart's token; a wrong token and an unknown id are the same `notFound`.
public protocol CartStore: Sendable {
    /// Opens an empty cart homed in the serving region.
    func open(token: AccessToken) async throws -> Cart

    func cart(_ id: UUID, token: AccessToken) async throws -> Cart

    /// Sets the quantity of one SKU (0 removes the line). `expectedVersion` is the client's `If-Match`.
    func setQuantity(_ quantity: Int, sku: String, cart id: UUID, token: AccessToken, expectedVersion: Int?) async throws -> Cart
}
