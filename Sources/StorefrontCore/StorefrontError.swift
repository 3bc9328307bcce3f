import Foundation

/// The one error type of the domain. The HTTP layer maps each case, in one place, to a problem document.
public enum StorefrontError: Error, Sendable, Equatable {
    /// One or more request fields are invalid (HTTP 400).
    case invalidRequest([FieldError])
    /// The resource does not exist, or the caller may not know that it does (HTTP 404).
    case notFound(resource: String)
    /// The admin credentials are missing or wrong (HTTP 401).
    case unauthorized
    /// The cart was checked out and takes no more changes (HTTP 409).
    case cartClosed
    /// The cart sat idle past its expiry (HTTP 409).
    case cartExpired
    /// The cart changed since the version the client read (HTTP 412).
    case versionMismatch(current: Int)
    /// The SKU is not in the catalog (HTTP 422).
    case unknownSKU(String)
    /// A cart holds at most this many lines (HTTP 422).
    case cartFull(limit: Int)
    /// The region cannot supply these lines; nothing was taken from stock (HTTP 409).
    case outOfStock([StockShortage])
    /// The order's status does not allow the event (HTTP 409).
    case illegalTransition(from: OrderStatus, event: OrderEvent)
    /// The idempotency key belongs to a request that is still running (HTTP 409, retry later).
    case idempotencyKeyInFlight
    /// The idempotency key was used for a different request (HTTP 422).
    case idempotencyKeyReused
    /// The row lives in another region, which alone may change it (HTTP 409).
    case homedElsewhere(resource: String, home: Region)
    /// The cart was adopted by a region that served it while its home was away (HTTP 409).
    case cartAdopted(region: Region, cartID: UUID)
    /// Start-up configuration is unusable.
    case invalidConfiguration(String)
    /// The database holds a schema this binary does not know, or differs from what it knows.
    case schemaMismatch(String)

    public static func invalid(_ field: String, _ detail: String) -> StorefrontError {
        .invalidRequest([FieldError(field: field, detail: detail)])
    }
}

/// Why one request field was rejected.
public struct FieldError: Hashable, Sendable, Codable {
    public var field: String
    public var detail: String

    public init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }
}

/// An error of a dependency that a retry may not meet (a lock wait or statement that ran out of time, a
/// serialization failure, a database that is starting or gone). The HTTP layer answers 503 with `Retry-After`.
public protocol TransientFailure: Error {
    var isTransient: Bool { get }
    /// The connection was lost while a statement was in flight: a change it carried, a COMMIT above all, may
    /// have been made. The answer must not say that nothing changed.
    var outcomeUnknown: Bool { get }
}

extension TransientFailure {
    public var outcomeUnknown: Bool { false }
}

/// An error whose full description can hold data that must not reach a log, such as a row in a database
/// error's DETAIL line; `logDescription` keeps what an operator needs and leaves that out.
public protocol LogSafeDescribable: Error {
    var logDescription: String { get }
}

/// How every log line describes an error.
public func logDescription(of error: any Error) -> String {
    (error as? any LogSafeDescribable)?.logDescription ?? String(reflecting: error)
}
