import Foundation
import Hummingbird
import NIOCore
import StorefrontCore

/// The context's `requestDecoder`: how every JSON request body is read, so that `request.decode(as:context:)`
/// refuses the same things the same way everywhere: another media type (415), a body over the context's size
/// limit (413), nesting deeper than `maxDepth` (400), and a field that does not decode (400, naming it as the
/// body spells it).
public struct JSONRequestDecoder: RequestDecoder {
    let maxDepth: Int

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        try decode(type, from: try await collect(request, context: context))
    }

    /// The body as bytes, checked as `decode` checks it: for a route that also needs the exact bytes (a
    /// checkout's fingerprint, a request forwarded to the cart's home region).
    func collect(_ request: Request, context: some RequestContext) async throws -> ByteBuffer {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw Problem(.unsupportedMediaType, detail: "Send the body as application/json.")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard Self.nesting(of: body.readableBytesView) <= maxDepth else {
            throw StorefrontError.invalid("body", "nests deeper than \(maxDepth) levels")
        }
        return body
    }

    /// `body` as `T`, or 400 naming the field that does not decode.
    func decode<T: Decodable>(_ type: T.Type, from body: ByteBuffer) throws -> T {
        do {
            return try JSON.decoder().decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw StorefrontError.invalidRequest([Self.fieldError(error)])
        }
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
}
