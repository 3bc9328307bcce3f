import Foundation
import HTTPTypes
import Hummingbird
import Logging
import StorefrontCore
import Synchronization

/// Gives every request an id (the client's `X-Request-ID` when it is sane, a new one otherwise), puts it on
/// every log line of the request, and names the id and the serving region on every response, with the
/// headers every answer carries: no content sniffing, no referrer, and no caching unless the route allows it.
struct StandardHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let region: Region

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = Self.id(offered: request.headers[.requestID])
        context.requestID = requestID
        context.logger[metadataKey: "request_id"] = .string(requestID)
        context.logger[metadataKey: "hb.request.id"] = nil
        var response = try await next(request, context)
        Self.finish(&response.headers, requestID: requestID, region: region)
        return response
    }

    /// The request's id for a request that names `offered`: the client's when it is sane, a new one otherwise.
    static func id(offered: String?) -> String {
        offered.flatMap { isSane($0) ? $0 : nil } ?? newID()
    }

    /// The headers every answer carries, whichever way it was made (the router, or `MemoryReads`).
    static func finish(_ headers: inout HTTPFields, requestID: String, region: Region) {
        headers[.requestID] = requestID
        // A response the home region gave to a forwarded request already names that region.
        if headers[.region] == nil { headers[.region] = region.name }
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        // Carts, orders and problems are private; a route whose answer may be cached says so itself.
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }

    /// A random prefix for this process, then a count: unique across processes and regions without drawing
    /// random bytes for every request.
    static func newID() -> String {
        let count = issued.wrappingAdd(1, ordering: .relaxed).newValue
        return processPrefix + String(count, radix: 16)
    }

    private static let processPrefix = String(String(UInt64.random(in: 0..<(1 << 48)) | (1 << 48), radix: 16).dropFirst()) + "-"
    private static let issued = Atomic<UInt64>(0)

    /// Up to 128 characters of letters, digits and `-_.:`; anything else could forge log lines.
    static func isSane(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "-_.:".utf8.contains(byte)
            }
    }
}

extension HTTPField.Name {
    static let requestID = Self("X-Request-ID")!
    static let region = Self("X-Region")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
