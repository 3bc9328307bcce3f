import Crypto
import Foundation

/// Whether a secret a client offered is the one configured, in time that depends on neither's content nor
/// length: the digests, always 32 bytes, are compared.
public func secretsMatch(_ offered: some StringProtocol, _ expected: some StringProtocol) -> Bool {
    constantTimeEquals(Array(SHA256.hash(data: Data(offered.utf8))), Array(SHA256.hash(data: Data(expected.utf8))))
}

/// Compares two byte strings in time that depends only on their length, for signatures and digests.
public func constantTimeEquals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
    return difference == 0
}
