import Foundation
import StorefrontCore

/// A token bucket per client for one kind of write: `requests` at once, refilled over `seconds`.
public struct RateLimitPolicy: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case cartCreate = "cart_create"
        case cartWrite = "cart_write"
        case checkout
    }

    public var kind: Kind
    public var requests: Int
    public var seconds: Int

    public init(_ kind: Kind, requests: Int, seconds: Int) {
        self.kind = kind
        self.requests = requests
        self.seconds = seconds
    }

    /// Generous for a shopper, who opens a cart or two and checks out once; tight for a script.
    public static let defaults = [
        RateLimitPolicy(.cartCreate, requests: 30, seconds: 60),
        RateLimitPolicy(.cartWrite, requests: 300, seconds: 60),
        RateLimitPolicy(.checkout, requests: 20, seconds: 60),
    ]

    public var description: String { "\(kind.rawValue)=\(requests)/\(seconds)s" }

    /// `off`, or `name=requests/seconds` pairs, comma-separated; a kind not named keeps its default.
    public static func parse(_ text: String?) throws(StorefrontError) -> [RateLimitPolicy] {
        guard let text else { return defaults }
        if text == "off" { return [] }
        var policies = defaults
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let rate = parts.count == 2 ? parts[1].split(separator: "/", maxSplits: 1) : []
            guard parts.count == 2, let kind = Kind(rawValue: parts[0]), rate.count == 2,
                let requests = Int(rate[0]), (1...1_000_000).contains(requests),
                let seconds = Int(rate[1].hasSuffix("s") ? rate[1].dropLast() : rate[1]), (1...86_400).contains(seconds)
            else {
                throw .invalidConfiguration(
                    "STOREFRONT_RATE_LIMITS: '\(entry)' is not name=requests/seconds with name one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            policies.removeAll { $0.kind == kind }
            policies.append(RateLimitPolicy(kind, requests: requests, seconds: seconds))
        }
        return policies
    }
}
