import Crypto
import Foundation

/// A secret that proves the right to a cart or an order. Only its SHA-256 digest is stored.
public struct AccessToken: Sendable, Hashable {
    public let value: String

    public init(value: String) { self.value = value }

    /// 256 random bits, base64url: unguessable, and safe in a header.
    public static func generate() -> AccessToken {
        AccessToken(value: Data(randomBytes(32)).base64URLEncoded())
    }

    /// What the database keeps: a leaked table reveals no usable token.
    public var digest: [UInt8] { Array(SHA256.hash(data: Data(value.utf8))) }

    /// A token as a client sent it: 1-128 visible ASCII characters, or nothing.
    public init?(header: String?) {
        guard let header, (1...128).contains(header.utf8.count), header.utf8.allSatisfy({ (33...126).contains($0) }) else {
            return nil
        }
        value = header
    }
}
