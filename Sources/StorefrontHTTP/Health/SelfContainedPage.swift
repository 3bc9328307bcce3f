import Foundation
import StorefrontCore

/// The Content-Security-Policy of a page with one inline `<script>` and one inline `<style>` and nothing
/// else (the dashboard, the traces view): it may run its own script and style and no other, and talk to this
/// origin only — hashes rather than 'unsafe-inline', so nothing injected into the page could run.
enum SelfContainedPage {
    static func contentSecurityPolicy(of html: String, images: Bool = false) -> String {
        "default-src 'none'; script-src 'sha256-\(sha256Base64(inline("script", in: html)))'; "
            + "style-src 'sha256-\(sha256Base64(inline("style", in: html)))'; connect-src 'self'; "
            + (images ? "img-src data:; " : "")
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    /// The text between `<tag>` and `</tag>`, exactly as the browser hashes it.
    private static func inline(_ tag: String, in html: String) -> Substring {
        guard let open = html.range(of: "<\(tag)>"), let close = html.range(of: "</\(tag)>", range: open.upperBound..<html.endIndex) else {
            return ""
        }
        return html[open.upperBound..<close.lowerBound]
    }
}
