import Foundation

/// Splits a migration file into single statements, since PostgreSQL's extended protocol (every PostgresNIO
/// query) takes one statement at a time. Understands the quoting migrations use: '…', "…", $tag$…$tag$,
/// -- and /* */ comments.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        let characters = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty, !isOnlyComments(text) { statements.append(text) }
            current = String.UnicodeScalarView()
        }
        func consume(until terminator: [Unicode.Scalar]) {
            while index < characters.count {
                if Array(characters[index..<min(index + terminator.count, characters.count)]) == terminator {
                    current.append(contentsOf: terminator)
                    index += terminator.count
                    return
                }
                current.append(characters[index])
                index += 1
            }
        }

        while index < characters.count {
            let character = characters[index]
            let next: Unicode.Scalar? = index + 1 < characters.count ? characters[index + 1] : nil
            switch (character, next) {
            case ("-", "-"):
                consume(until: ["\n"])
            case ("/", "*"):
                current.append(contentsOf: [character, next!])
                index += 2
                consume(until: ["*", "/"])
            case ("'", _), ("\"", _):
                current.append(character)
                index += 1
                consume(until: [character])
            case ("$", _):
                // A dollar-quote tag: $$ or $name$. Anything else ($1) is an ordinary character.
                var end = index + 1
                while end < characters.count, characters[end].properties.isAlphabetic || characters[end] == "_" { end += 1 }
                if end < characters.count, characters[end] == "$" {
                    let tag = Array(characters[index...end])
                    current.append(contentsOf: tag)
                    index = end + 1
                    consume(until: tag)
                } else {
                    current.append(character)
                    index += 1
                }
            case (";", _):
                index += 1
                flush()
            default:
                current.append(character)
                index += 1
            }
        }
        flush()
        return statements
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
    }
}
