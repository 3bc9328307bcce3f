import Crypto
import Foundation

extension AccessToken {
    /// The order token of a checkout: derived from the cart token and the checkout's `Idempotency-Key`,
    /// never stored. A retry in any region derives the same token, so a replayed answer can carry it while
    /// no table (the stored answer included) holds a usable one; only a caller holding the cart token can.
    public static func order(cartToken: AccessToken, idempotencyKey: String) -> AccessToken {
        let code = HMAC<SHA256>.authenticationCode(
            for: Data("storefront order token\u{0}\(idempotencyKey)".utf8),
            using: SymmetricKey(data: Data(cartToken.value.utf8))
        )
        return AccessToken(value: Data(code).base64URLEncoded())
    }
}

extension StoredResponse {
    /// What a stored checkout answer holds where the order token goes: the token is put in on the way out.
    static let orderTokenSlot = Array(#""order_token":"""#.utf8)

    /// The answer with `token` in its order-token slot. JSON escapes every quote inside a string, so the
    /// slot's bytes can only be the key itself, never a shopper's text.
    public func revealing(orderToken token: AccessToken) -> StoredResponse {
        let slot = Self.orderTokenSlot
        guard body.count >= slot.count,
            let start = (0...(body.count - slot.count)).first(where: { body[$0..<($0 + slot.count)].elementsEqual(slot) })
        else { return self }
        var revealed = self
        revealed.body.replaceSubrange(start..<(start + slot.count), with: Array(#""order_token":"\#(token.value)""#.utf8))
        return revealed
    }
}
