import Foundation
import StorefrontApp
import Testing

@Suite struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theReadmeListsEveryConfigurationVariable() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.hasPrefix("# Storefront"))
        #expect(readme.contains("scripts/lab up") && readme.contains("scripts/test"))
        for variable in AppConfiguration.variables {
            #expect(readme.contains("`\(variable.name)`"), "README.md does not document \(variable.name)")
        }
    }
}
