import Foundation
import StorefrontCore

/// Decodes `application/x-www-form-urlencoded` query strings (`+` is a space), keeping repeated names so
/// validation can refuse them.
enum QueryString {
    static func pairs(_ query: String?) throws(StorefrontError) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        var pairs: [(name: String, value: String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let halves = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(halves[0]), let value = decode(halves.count == 2 ? halves[1] : "") else {
                throw .invalid(String(halves[0].prefix(40)), "is not valid percent-encoded UTF-8")
            }
            pairs.append((name, value))
        }
        return pairs
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
