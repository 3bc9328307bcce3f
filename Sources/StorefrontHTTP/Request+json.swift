import Foundation
import HTTPTypes
import Hummingbird
import StorefrontCore

extension Request {
    /// The body as `T`: a JSON document (415 for another media type), within the context's size limit
    /// (413), that decodes (400 naming the field that does not).
    func decodeJSON<T: Decodable>(_ type: T.Type, context: AppRequestContext) async throws -> T {
        try Self.decodeJSON(type, from: try await collectJSON(context: context))
    }

    /// The body of a JSON document (415 for another media type), within the context's size limit (413) and
    /// nesting limit (400).
    func collectJSON(context: AppRequestContext) async throws -> ByteBuffer {
        let mediaType = headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw Problem(.unsupportedMediaType, detail: "Send the body as application/json.")
        }
        let body = try await self.body.collect(upTo: context.maxUploadSize)
        guard Self.nesting(of: body.readableBytesView) <= context.limits.maxJSONDepth else {
            throw StorefrontError.invalid("body", "nests deeper than \(context.limits.maxJSONDepth) levels")
        }
        return body
    }

    /// How deeply arrays and objects nest in `json`, brackets inside strings aside: checked before decoding,
    /// whose cost and stack grow with the depth.
    static func nesting(of json: some Collection<UInt8>) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in json {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// `body` as `T`, or 400 naming the field that does not decode.
    static func decodeJSON<T: Decodable>(_ type: T.Type, from body: ByteBuffer) throws -> T {
        do {
            return try JSON.decoder().decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw StorefrontError.invalidRequest([Self.fieldError(error)])
        }
    }

    private static func fieldError(_ error: DecodingError) -> FieldError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map(String.init) ?? snakeCase($0.stringValue) }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldError(field: path(context.codingPath + [key]), detail: "is required")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return FieldError(field: path(context.codingPath), detail: "has the wrong type")
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return FieldError(field: path(context.codingPath), detail: "is not valid")
        default:
            return FieldError(field: "body", detail: "is not a JSON document")
        }
    }

    private static func snakeCase(_ key: String) -> String {
        key.reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
    }

    /// The `Idempotency-Key` a write that must happen once requires: 1-255 visible ASCII characters.
    func idempotencyKey() throws -> String {
        guard let key = headers[.idempotencyKey], (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (33...126).contains($0) })
        else {
            throw StorefrontError.invalid("Idempotency-Key", "header is required: 1-255 visible ASCII characters, such as a UUID")
        }
        return key
    }

    /// A secret from a header, or nil when it is absent or cannot be one.
    func token(_ name: HTTPField.Name) -> AccessToken? {
        AccessToken(header: headers[name])
    }
}

extension HTTPField.Name {
    static let cartToken = Self("Cart-Token")!
    static let orderToken = Self("Order-Token")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
