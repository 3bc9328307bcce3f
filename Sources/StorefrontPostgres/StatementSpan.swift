import StorefrontTracing

/// What a statement's span says about it: OpenTelemetry's database conventions, with the statement's text
/// as written (every value in it is bound, so the text holds none) and a short stable name.
enum StatementSpan {
    /// The statement's first keyword and the table it reads or writes first, such as `SELECT products` or
    /// `COMMIT`: the name of a statement that has no prepared statement's type to name it.
    static func summary(of sql: String) -> String {
        let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "(" || $0 == "," || $0 == ";" })
        guard let first = words.first else { return "statement" }
        let keyword = first.uppercased()
        let tableAfter: Set<String> = ["FROM", "INTO", "UPDATE", "TABLE"]
        var table: Substring?
        for (index, word) in words.enumerated() where tableAfter.contains(word.uppercased()) && index + 1 < words.count {
            table = words[index + 1]
            break
        }
        return table.map { "\(keyword) \($0)" } ?? keyword
    }

    /// A statement's text is kept to this many characters in its span.
    static let maximumText = 1024
}

extension TraceSpan {
    func describeStatement(_ sql: String) {
        set("db.system.name", "postgresql")
        set("db.query.text", String(sql.prefix(StatementSpan.maximumText)))
    }
}
