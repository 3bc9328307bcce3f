import Foundation

/// The files built into the binary beside its code (`storefront_StorefrontHTTP.resources`): the contract and
/// the pages. Each is read once, at start-up, so a binary shipped without them fails there and not on the
/// first request that needs one.
enum BundledResource {
    static func data(_ name: String, _ type: String, in subdirectory: String? = nil) throws(BundledResourceMissing) -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: type, subdirectory: subdirectory),
            let data = try? Data(contentsOf: url)
        else { throw BundledResourceMissing(file: path(name, type, in: subdirectory)) }
        return data
    }

    static func text(_ name: String, _ type: String, in subdirectory: String? = nil) throws(BundledResourceMissing) -> String {
        let data = try data(name, type, in: subdirectory)
        guard let text = String(data: data, encoding: .utf8) else {
            throw BundledResourceMissing(file: path(name, type, in: subdirectory) + " (as UTF-8)")
        }
        return text
    }

    private static func path(_ name: String, _ type: String, in subdirectory: String?) -> String {
        [subdirectory, "\(name).\(type)"].compactMap { $0 }.joined(separator: "/")
    }
}

public struct BundledResourceMissing: Error, CustomStringConvertible {
    let file: String
    public var description: String { "\(file) is missing from the binary's resources (storefront_StorefrontHTTP.resources)" }
}
