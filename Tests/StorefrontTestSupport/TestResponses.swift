import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// A test's set-up or reading went wrong, not the code under test: the message says what.
public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension TestClientProtocol {
    public func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers, body: nil)
    }
}

extension TestResponse {
    /// The body as JSON, for assertions.
    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            throw TestSetupError("body is not a JSON object: \(String(buffer: body))")
        }
        return object
    }

    public var problemType: String? {
        (try? json())?["type"] as? String
    }

    /// Whether the answer is the problem document of type `slug`.
    public func isProblem(_ slug: String) -> Bool {
        problemType == "https://storefront.example/problems/\(slug)"
    }
}

extension Dictionary where Key == String, Value == Any {
    /// The value at `key` of an answer's JSON as a `T`: a wrong answer fails the test, naming what was there,
    /// rather than crashing the whole test process.
    public func value<T>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let value = self[key] as? T else {
            throw TestSetupError("\"\(key)\" is not a \(T.self): \(self[key].map { "\($0)" } ?? "absent")")
        }
        return value
    }
}
