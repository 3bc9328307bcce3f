import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1
import StorefrontCore

/// An RFC 9457 problem document: the body of every error response.
public struct Problem: Error, Sendable, Codable, Equatable {
    /// A stable URI per kind of problem; clients branch on it, never on `detail`.
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var errors: [FieldError]?
    /// For `out-of-stock`: every line the region cannot supply, with what it has.
    public var shortages: [StockShortage]?
    /// For `version-mismatch`: the cart's version now, to read again before retrying.
    public var currentVersion: Int?
    /// For `homed-elsewhere`: the region that owns what the request wanted to change.
    public var homeRegion: String?
    /// For `cart-adopted`: where the cart lives on, and as which cart.
    public var adoptedBy: AdoptedBy?

    public struct AdoptedBy: Codable, Sendable, Equatable {
        public var region: String
        public var cartId: String
    }
    /// The request's trace, to find it in `/debug/traces` or a tracing backend.
    public var traceId: String?
    /// Headers the response must carry with it (`Retry-After`, …).
    public var headers: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, errors, shortages, currentVersion, homeRegion, adoptedBy, traceId
    }

    public init(_ kind: Kind, detail: String, errors: [FieldError]? = nil) {
        self.type = "https://storefront.example/problems/\(kind.slug)"
        self.title = kind.title
        self.status = kind.status
        self.detail = detail
        self.errors = errors
    }

    /// The kinds of problem the API reports.
    public struct Kind: Sendable {
        public var slug: String
        public var title: String
        public var status: Int

        public static let invalidRequest = Kind(slug: "invalid-request", title: "The request is invalid", status: 400)
        public static let notFound = Kind(slug: "not-found", title: "Not found", status: 404)
        public static let unauthorized = Kind(slug: "unauthorized", title: "Authentication required", status: 401)
        public static let forbidden = Kind(slug: "forbidden", title: "Forbidden", status: 403)
        public static let cartClosed = Kind(slug: "cart-closed", title: "The cart is checked out", status: 409)
        public static let cartExpired = Kind(slug: "cart-expired", title: "The cart has expired", status: 409)
        public static let outOfStock = Kind(slug: "out-of-stock", title: "Not enough stock", status: 409)
        public static let illegalTransition = Kind(slug: "illegal-transition", title: "The order cannot do that now", status: 409)
        public static let idempotencyKeyInFlight = Kind(
            slug: "idempotency-key-in-flight",
            title: "A request with this idempotency key is still running",
            status: 409
        )
        public static let homedElsewhere = Kind(slug: "homed-elsewhere", title: "Another region owns this", status: 409)
        public static let cartAdopted = Kind(slug: "cart-adopted", title: "The cart moved to another region", status: 409)
        public static let versionMismatch = Kind(slug: "version-mismatch", title: "The cart has changed", status: 412)
        public static let unknownSKU = Kind(slug: "unknown-sku", title: "No such SKU", status: 422)
        public static let cartFull = Kind(slug: "cart-full", title: "The cart is full", status: 422)
        public static let idempotencyKeyReused = Kind(
            slug: "idempotency-key-reused",
            title: "The idempotency key was used for another request",
            status: 422
        )
        public static let methodNotAllowed = Kind(slug: "method-not-allowed", title: "Method not allowed", status: 405)
        public static let payloadTooLarge = Kind(slug: "payload-too-large", title: "The request body is too large", status: 413)
        public static let uriTooLong = Kind(slug: "uri-too-long", title: "The request target is too long", status: 414)
        public static let tooManyRequests = Kind(slug: "too-many-requests", title: "Too many requests", status: 429)
        public static let unsupportedMediaType = Kind(slug: "unsupported-media-type", title: "Unsupported media type", status: 415)
        public static let unavailable = Kind(slug: "unavailable", title: "Temporarily unavailable", status: 503)
        public static let outcomeUnknown = Kind(slug: "outcome-unknown", title: "The outcome is unknown", status: 503)
        public static let overloaded = Kind(slug: "overloaded", title: "At capacity", status: 503)
        public static let internalError = Kind(slug: "internal", title: "Internal error", status: 500)
    }
}

extension Problem {
    /// At most this many field errors are listed in one answer.
    static let maxListedErrors = 10

    /// The one place a thrown error becomes a problem document. Unknown errors become a 500 that says
    /// nothing about their cause; the caller logs them. `changing` is whether the request may have changed
    /// something (it is not a GET or HEAD): only such a request can leave an outcome unknown.
    public static func from(_ error: any Error, changing: Bool = true) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as StorefrontError:
            return from(error)
        case let error as HTTPError:
            switch error.status.code {
            case 404: return Problem(.notFound, detail: "There is no such resource.")
            case 405: return Problem(.methodNotAllowed, detail: "This resource does not support that method.")
            case 413: return Problem(.payloadTooLarge, detail: "The request body exceeds the limit.")
            case 400..<500:
                return Problem(
                    Kind(slug: "http-\(error.status.code)", title: error.status.reasonPhrase, status: error.status.code),
                    detail: error.body ?? error.status.reasonPhrase
                )
            default: return Problem(.internalError, detail: "The server could not complete the request.")
            }
        case is RequestDeadlineExceeded:
            var problem =
                changing
                ? Problem(
                    .outcomeUnknown,
                    detail:
                        "The request did not finish in time and was abandoned: the change may or may not have been made. Retrying with the same Idempotency-Key is safe; a cart change can be read back first."
                )
                : Problem(.unavailable, detail: "The request did not finish in time; retry in a moment.")
            problem.headers["Retry-After"] = "1"
            return problem
        case let error as any TransientFailure where error.isTransient && error.outcomeUnknown && changing:
            var problem = Problem(
                .outcomeUnknown,
                detail:
                    "The database connection was lost before the outcome was known: the change may or may not have been made. Retrying with the same Idempotency-Key is safe; a cart change can be read back first."
            )
            problem.headers["Retry-After"] = "1"
            return problem
        case let error as any TransientFailure where error.isTransient:
            var problem = Problem(.unavailable, detail: "The database cannot answer right now; retry in a moment.")
            problem.headers["Retry-After"] = "1"
            return problem
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return Problem(.payloadTooLarge, detail: "The request body exceeds the limit.")
        case is HTTPParserError:
            // The client sent what is not HTTP, or left in the middle of its body: its fault, and it is gone.
            return Problem(.invalidRequest, detail: "The request is not valid HTTP or ended before its body did.")
        case is DecodingError:
            return Problem(.invalidRequest, detail: "The request body is not the JSON document this endpoint takes.")
        default:
            return Problem(.internalError, detail: "The server could not complete the request.")
        }
    }

    static func from(_ error: StorefrontError) -> Problem {
        switch error {
        case .invalidRequest(let errors):
            // However many problems a request has, its answer stays small.
            let listed = Array(errors.prefix(Self.maxListedErrors))
            let detail =
                errors.count == 1
                ? "\(errors[0].field) \(errors[0].detail)."
                : "\(errors.count) fields are invalid\(listed.count < errors.count ? "; the first \(listed.count) are listed" : "")."
            return Problem(.invalidRequest, detail: detail, errors: listed)
        case .notFound(let resource):
            return Problem(.notFound, detail: "There is no such \(resource).")
        case .unauthorized:
            var problem = Problem(.unauthorized, detail: "This call needs the admin bearer token.")
            problem.headers["WWW-Authenticate"] = "Bearer"
            return problem
        case .cartClosed:
            return Problem(.cartClosed, detail: "The cart was checked out and takes no more changes.")
        case .cartExpired:
            return Problem(.cartExpired, detail: "The cart sat idle too long; open a new one.")
        case .versionMismatch(let current):
            var problem = Problem(.versionMismatch, detail: "The cart is at version \(current); read it again and retry.")
            problem.currentVersion = current
            return problem
        case .unknownSKU(let sku):
            return Problem(.unknownSKU, detail: "The catalog has no SKU \(sku).")
        case .cartFull(let limit):
            return Problem(.cartFull, detail: "A cart holds at most \(limit) lines.")
        case .outOfStock(let shortages):
            var problem = Problem(
                .outOfStock,
                detail:
                    "This region cannot supply \(shortages.map { "\($0.requested) of \($0.sku) (\($0.available) left)" }.joined(separator: ", ")). Nothing was charged or reserved; the cart is still open."
            )
            problem.shortages = shortages
            return problem
        case .illegalTransition(let from, let event):
            return Problem(.illegalTransition, detail: "An order that is \(from.rawValue) cannot \(event.rawValue).")
        case .idempotencyKeyInFlight:
            var problem = Problem(.idempotencyKeyInFlight, detail: "The first request with this key has not finished; retry shortly.")
            problem.headers["Retry-After"] = "1"
            return problem
        case .idempotencyKeyReused:
            return Problem(.idempotencyKeyReused, detail: "This Idempotency-Key was used with a different request; use a new key.")
        case .homedElsewhere(let resource, let home):
            var problem = Problem(.homedElsewhere, detail: "This \(resource) is written only in region \(home); send the request there.")
            problem.homeRegion = home.name
            return problem
        case .cartAdopted(let region, let cartID):
            var problem = Problem(
                .cartAdopted,
                detail:
                    "While its home region was away this cart was adopted by region \(region) as cart \(cartID.uuidString.lowercased()); continue with that cart and the same token."
            )
            problem.adoptedBy = AdoptedBy(region: region.name, cartId: cartID.uuidString.lowercased())
            return problem
        case .invalidConfiguration, .schemaMismatch:
            return Problem(.internalError, detail: "The server could not complete the request.")
        }
    }
}
