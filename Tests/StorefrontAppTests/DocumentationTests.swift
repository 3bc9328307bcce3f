import Foundation
import StorefrontApp
import Testing

@Suite struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theReadmeListsEveryConfigurationVariable() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.hasPrefix("# Storefront"))
        #expect(readme.contains("scripts/lab up") && readme.contains("scripts/test"))
        // Made from the settings' declarations: a setting added, renamed or redescribed there changes the
        // README with it (the failure prints the table to paste).
        #expect(readme.contains(Settings.markdownTable + "\n"), "README.md's configuration table should be:\n\(Settings.markdownTable)")
    }
}
