import Crypto
import Foundation

extension AccessToken {
    /// The order token of a checkout: derived from the cart token and the checkout's `Idempotency-Key`,
    /// never stored. A retry in any region derives the same token, so a replayed answer can carry it while
    /// no table holds a usable one; only a caller holding the cart token can.
    public static func order(cartToken: AccessToken, idempotencyKey: String) -> AccessToken {
        let code = HMAC<SHA256>.authenticationCode(
            for: Data("storefront order token\u{0}\(idempotencyKey)".utf8),
            using: SymmetricKey(data: Data(cartToken.value.utf8))
        )
        return AccessToken(value: Data(code).base64URLEncoded())
    }
}
