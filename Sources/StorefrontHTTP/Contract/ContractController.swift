import Foundation
import Hummingbird
import NIOCore

/// Serves the API's contract, `docs/openapi.yaml`, as built into the binary: a client or a fuzzer reads the
/// document of the very version it talks to.
public struct ContractController: Sendable {
    let document: ByteBuffer

    /// Reads the document from the module's resources; a binary shipped without them fails here, at start-up.
    public init() throws {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw ContractMissing()
        }
        document = ByteBuffer(bytes: try Data(contentsOf: url))
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("openapi.yaml") { _, _ in
            var response = Response.bytes(document, contentType: "application/yaml")
            response.headers[.cacheControl] = "public, max-age=300"
            return response
        }
    }
}

struct ContractMissing: Error, CustomStringConvertible {
    var description: String { "the OpenAPI document is missing from the binary's resources (storefront_StorefrontHTTP.resources)" }
}
