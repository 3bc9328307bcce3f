import Foundation
import StorefrontCore

/// `GET /health/dashboard`: one self-contained page (no external assets) that draws the region's health
/// model as a graph — signals, components, flows, region — refreshed from `/health` every two seconds,
/// with the cascade from every troubled signal highlighted; and, from `/health/history`, what happened
/// before: a sparkline per signal, and a timeline of the state changes with the fault's start marked.
///
/// Written as three resource files, `Dashboard/dashboard.html`, `.css` and `.js`, and served as one
/// document: the style and the script go inline, where the Content-Security-Policy admits them by hash.
struct DashboardPage: Sendable {
    let html: String
    /// Its sparklines are data: images.
    let contentSecurityPolicy: String

    /// Reads the page from the module's resources; a binary shipped without them fails here, at start-up.
    init() throws(DashboardMissing) {
        func resource(_ extension: String) throws(DashboardMissing) -> String {
            guard let url = Bundle.module.url(forResource: "dashboard", withExtension: `extension`, subdirectory: "Dashboard"),
                let text = try? String(contentsOf: url, encoding: .utf8)
            else { throw DashboardMissing(file: "dashboard.\(`extension`)") }
            return text
        }
        let page = try resource("html")
        guard page.contains("<style></style>"), page.contains("<script></script>") else {
            throw DashboardMissing(file: "dashboard.html's empty <style></style> and <script></script>")
        }
        html =
            page
            .replacingOccurrences(of: "<style></style>", with: "<style>\n\(try resource("css"))</style>")
            .replacingOccurrences(of: "<script></script>", with: "<script>\n\(try resource("js"))</script>")
        contentSecurityPolicy = SelfContainedPage.contentSecurityPolicy(of: html, images: true)
    }
}

struct DashboardMissing: Error, CustomStringConvertible {
    let file: String
    var description: String { "the health dashboard's \(file) is missing from the binary's resources (storefront_StorefrontHTTP.resources)" }
}
