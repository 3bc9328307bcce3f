/// The name of a region (`us-east`, `eu-west`, …): where a row is homed and which process serves a request.
///
/// Region names reach SQL (as bound values) and HTTP headers, so only lowercase letters, digits and
/// single dashes are allowed.
public struct Region: Hashable, Sendable, Codable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) throws(StorefrontError) {
        guard Region.isValid(name) else {
            throw .invalidConfiguration("region name '\(name)' must be 1-32 characters of a-z, 0-9 and single dashes")
        }
        self.name = name
    }

    public var description: String { name }

    static func isValid(_ name: String) -> Bool {
        isSlug(name, maxLength: 32)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard Region.isValid(name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid region name")
        }
        self.name = name
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
