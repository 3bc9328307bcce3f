/// The one error type of the domain. The HTTP layer maps each case, in one place, to a problem document.
public enum StorefrontError: Error, Sendable, Equatable {
    /// One or more request fields are invalid (HTTP 400).
    case invalidRequest([FieldError])
    /// The resource does not exist, or the caller may not know that it does (HTTP 404).
    case notFound(resource: String)
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
