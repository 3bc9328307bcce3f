import Foundation
import Hummingbird
import NIOCore

/// Serves the API's contract, `docs/openapi.yaml`, as built into the binary: a client or a fuzzer reads the
/// document of the very version it talks to.
public struct ContractController: Sendable {
    let document: ByteBuffer

    public init() throws(BundledResourceMissing) {
        document = ByteBuffer(bytes: try BundledResource.data("openapi", "yaml"))
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("openapi.yaml") { _, _ in
            var response = Response.bytes(document, contentType: "application/yaml")
            response.headers[.cacheControl] = "public, max-age=300"
            return response
        }
    }
}
