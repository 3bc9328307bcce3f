import Crypto
import Foundation

/// The base64 SHA-256 of `text`'s UTF-8 bytes, as a Content-Security-Policy hash source wants it.
public func sha256Base64(_ text: some StringProtocol) -> String {
    Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString()
}
