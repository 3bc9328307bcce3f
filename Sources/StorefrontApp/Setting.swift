import Foundation
import StorefrontCore

/// One `STOREFRONT_*` environment variable, declared once: its name, its default as people read it, what it
/// means, and how its text becomes a value. `AppConfiguration` reads every setting through its declaration
/// in `Settings`; `serve --help` and the README's table are made from the same list.
public struct Setting<Value>: Sendable {
    public let name: String
    /// Markdown, as the README shows it.
    public let shownDefault: String
    /// Markdown, as the README shows it.
    public let meaning: String
    private let parse: @Sendable (_ text: String?, _ name: String) throws(StorefrontError) -> Value

    init(
        _ name: String,
        shown: String,
        _ meaning: String,
        parse: @escaping @Sendable (_ text: String?, _ name: String) throws(StorefrontError) -> Value
    ) {
        self.name = name
        self.shownDefault = shown
        self.meaning = meaning
        self.parse = parse
    }

    /// The value in `environment`; an empty variable is an unset one.
    func value(in environment: [String: String]) throws(StorefrontError) -> Value {
        try parse(environment[name].flatMap { $0.isEmpty ? nil : $0 }, name)
    }

    /// What `serve --help` and the README list.
    public var described: SettingDescription { SettingDescription(name: name, shownDefault: shownDefault, meaning: meaning) }
}

/// A setting as documented.
public struct SettingDescription: Sendable {
    public let name: String
    public let shownDefault: String
    public let meaning: String

    /// Its row of the README's table.
    public var markdownRow: String { "| `\(name)` | \(shownDefault) | \(meaning) |" }

    /// For a terminal: without Markdown's backticks, and a link as its text and address.
    public var plainDefault: String { Self.plain(shownDefault) }
    public var plainMeaning: String { Self.plain(meaning) }

    static func plain(_ markdown: String) -> String {
        var text = markdown.replacingOccurrences(of: "`", with: "")
        // [text](address) → text (address)
        while let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]"),
            text.index(after: close) < text.endIndex, text[text.index(after: close)] == "(",
            let end = text[close...].firstIndex(of: ")")
        {
            let label = text[text.index(after: open)..<close]
            let address = text[text.index(close, offsetBy: 2)..<end]
            text.replaceSubrange(open...end, with: label == address ? "\(label)" : "\(label) (\(address))")
        }
        return text
    }
}

extension Setting where Value == String {
    static func text(_ name: String, default fallback: String, _ meaning: String) -> Self {
        Self(name, shown: "`\(fallback)`", meaning) { text, _ in text ?? fallback }
    }

    /// One of `choices`, the first the default.
    static func choice(_ name: String, _ choices: [String], _ meaning: String) -> Self {
        Self(name, shown: "`\(choices[0])`", meaning) { text, name throws(StorefrontError) in
            guard let text else { return choices[0] }
            guard choices.contains(text) else {
                throw .invalidConfiguration("\(name) must be \(choices.dropLast().joined(separator: ", ")) or \(choices.last!)")
            }
            return text
        }
    }
}

extension Setting where Value == String? {
    static func optionalText(_ name: String, shown: String, _ meaning: String) -> Self {
        Self(name, shown: shown, meaning) { text, _ in text }
    }
}

extension Setting where Value == Int {
    static func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>, shown: String? = nil, _ meaning: String) -> Self {
        Self(name, shown: shown ?? "`\(fallback)`", meaning) { text, name throws(StorefrontError) in
            guard let text else { return fallback }
            return try wholeNumber(text, in: range, name)
        }
    }
}

extension Setting where Value == Int? {
    /// A whole number whose default depends on other settings: nil when unset.
    static func optionalInteger(_ name: String, in range: ClosedRange<Int>, shown: String, _ meaning: String) -> Self {
        Self(name, shown: shown, meaning) { text, name throws(StorefrontError) in
            guard let text else { return nil }
            return try wholeNumber(text, in: range, name)
        }
    }
}

extension Setting where Value == Bool {
    static func boolean(_ name: String, default fallback: Bool, _ meaning: String) -> Self {
        Self(name, shown: "`\(fallback)`", meaning) { text, name throws(StorefrontError) in
            guard let text else { return fallback }
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw .invalidConfiguration("\(name) must be true or false")
            }
        }
    }
}

private func wholeNumber(_ text: String, in range: ClosedRange<Int>, _ name: String) throws(StorefrontError) -> Int {
    guard let number = Int(text), range.contains(number) else {
        throw .invalidConfiguration("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
    }
    return number
}
