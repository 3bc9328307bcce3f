import Foundation
import StorefrontCore

/// A page served as one document with no external assets (the health dashboard, the traces view), written
/// as three resource files — `NAME.html`, the body's content; `NAME.css` and `NAME.js` — and put together at
/// start-up, the style in the head and the script at the end of the body.
///
/// Its Content-Security-Policy lets it run its own script and style and no other, and talk to this origin
/// only: hashes rather than 'unsafe-inline', so nothing injected into the page could run.
struct SelfContainedPage: Sendable {
    let html: String
    let contentSecurityPolicy: String

    /// `images`: the page draws data: images (the dashboard's sparklines).
    init(named name: String, in subdirectory: String, title: String, images: Bool = false) throws(BundledResourceMissing) {
        let (body, style, script) = (
            try BundledResource.text(name, "html", in: subdirectory),
            try BundledResource.text(name, "css", in: subdirectory),
            try BundledResource.text(name, "js", in: subdirectory)
        )
        html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <style>
            \(style)</style>
            </head>
            <body>
            \(body)<script>
            \(script)</script>
            </body>
            </html>

            """
        contentSecurityPolicy =
            "default-src 'none'; script-src 'sha256-\(sha256Base64(Self.inline("script", in: html)))'; "
            + "style-src 'sha256-\(sha256Base64(Self.inline("style", in: html)))'; connect-src 'self'; "
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
