import Foundation
import HTTPTypes
import Hummingbird
import StorefrontCore

extension Request {
    /// The `Idempotency-Key` a write that must happen once requires: 1-255 visible ASCII characters.
    func idempotencyKey() throws -> String {
        guard let key = headers[.idempotencyKey], (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (33...126).contains($0) })
        else {
            throw StorefrontError.invalid("Idempotency-Key", "header is required: 1-255 visible ASCII characters, such as a UUID")
        }
        return key
    }

    /// A secret from a header, or nil when it is absent or cannot be one.
    func token(_ name: HTTPField.Name) -> AccessToken? {
        AccessToken(header: headers[name])
    }
}

extension HTTPField.Name {
    static let cartToken = Self("Cart-Token")!
    static let orderToken = Self("Order-Token")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
