import Crypto
import Foundation

/// The position after the last item of a page: the sort key and id of that item. Sealed, it is bound to the
/// query it came from and signed, so a cursor that was altered or belongs to another query is rejected.
public struct PageCursor: Sendable, Hashable {
    /// The value the page is sorted by: for products, microseconds since 1970 for `newest`, minor units for
    /// the price orders, and the bit pattern of the text-search rank for `relevance`.
    public var sortKey: Int64
    public var id: UUID

    public init(sortKey: Int64, id: UUID) {
        self.sortKey = sortKey
        self.id = id
    }
}

/// Seals and opens cursors with an HMAC-SHA256 key shared by every region, so a shopper whose traffic
/// fails over to another region keeps paging.
public struct CursorCodec: Sendable {
    private let keyBytes: Data
    private static let macLength = 16

    public init(secret: String) {
        keyBytes = Data(SHA256.hash(data: Data(secret.utf8)))
    }

    /// `scope` names everything that decides which items match and in which order.
    public func seal(_ cursor: PageCursor, scope: String) -> String {
        var payload = Data()
        withUnsafeBytes(of: cursor.sortKey.bigEndian) { payload.append(contentsOf: $0) }
        withUnsafeBytes(of: cursor.id.uuid) { payload.append(contentsOf: $0) }
        payload.append(contentsOf: mac(payload, scope))
        return payload.base64URLEncoded()
    }

    public func open(_ text: String, scope: String) throws(StorefrontError) -> PageCursor {
        let rejected = StorefrontError.invalid("cursor", "is not a cursor this API returned for this query")
        // Re-encoding must give the same text: the last character of base64 has spare bits that decode alike.
        guard let data = Data(base64URLEncoded: text), data.count == 8 + 16 + Self.macLength, data.base64URLEncoded() == text else {
            throw rejected
        }
        let payload = data.prefix(24)
        guard constantTimeEquals(mac(payload, scope), data.suffix(Self.macLength)) else { throw rejected }
        let sortKey = payload.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
        // The length is checked above: 24 bytes of payload, the last 16 the id.
        return PageCursor(sortKey: sortKey, id: UUID(bytes: payload.suffix(16))!)
    }

    private func mac(_ payload: Data, _ scope: String) -> Data {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: keyBytes))
        hmac.update(data: payload)
        hmac.update(data: Data(scope.utf8))
        return Data(hmac.finalize()).prefix(Self.macLength)
    }
}

extension CursorCodec {
    /// A page out of `limit + 1` items fetched (one more than the page tells whether another follows): the
    /// first `limit`, and the sealed cursor after the last of them when another page follows.
    public func page<Item>(
        of fetched: [Item],
        limit: Int,
        scope: String,
        position: (Item) -> PageCursor
    ) -> (items: ArraySlice<Item>, next: String?) {
        let items = fetched.prefix(limit)
        return (items, fetched.count > limit ? items.last.map { seal(position($0), scope: scope) } : nil)
    }
}

extension ProductQuery {
    /// Everything that decides which products match and in which order, as a cursor scope; not the page
    /// size, which a shopper may change between pages.
    public var fingerprint: String {
        [
            "products",
            brand ?? "", category ?? "", gender?.rawValue ?? "",
            size.map { "\($0.system.rawValue):\($0.size.tenths)" } ?? "", colour ?? "",
            minPrice.map(String.init) ?? "", maxPrice.map(String.init) ?? "", inStock ? "1" : "0",
            text ?? "", sort.rawValue,
        ].joined(separator: "\u{1F}")
    }
}

extension Data {
    func base64URLEncoded() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URLEncoded text: String) {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        guard text.utf8.allSatisfy(alphabet.contains) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
