import Foundation

/// Text that diagnostics point into: the pipeline file or one `--set` argument.
public final class SourceText: @unchecked Sendable {
    /// What a diagnostic prints before `:LINE:COL` (a path, or `--set` for overrides).
    public let name: String
    public let text: String
    /// For `--set` values: the value starts at this column of the quoted argument.
    let columnOffset: Int
    private lazy var lines: [Substring] = text.split(separator: "\n", omittingEmptySubsequences: false)

    public init(name: String, text: String, columnOffset: Int = 0) {
        self.name = name
        self.text = text
        self.columnOffset = columnOffset
    }

    func line(_ n: Int) -> String {
        guard n >= 1, n <= lines.count else { return "" }
        var l = String(lines[n - 1])
        if l.hasSuffix("\r") { l.removeLast() }
        return l
    }
}

/// A position in a source, 1-based; columns count Unicode scalars, as libyaml does.
public struct SourceLocation: Sendable {
    public let source: SourceText
    public let line: Int
    public let column: Int

    public init(source: SourceText, line: Int, column: Int) {
        self.source = source
        self.line = max(line, 1)
        self.column = max(column, 1)
    }
}

/// One error found in a pipeline file or an override, printed as
/// `FILE:LINE:COL: error: MESSAGE`, then the quoted line and a caret under the column.
public struct Diagnostic: Sendable, CustomStringConvertible {
    public let location: SourceLocation
    public let message: String

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String {
        let src = location.source
        let column = location.column + src.columnOffset
        // Very long lines (minified or hostile files) are quoted as a window around the column.
        var scalars = Array(src.line(location.line).unicodeScalars)
        var caretColumn = column
        if scalars.count > 160 {
            let start = max(0, min(column - 80, scalars.count - 160))
            scalars = Array(scalars[start..<min(scalars.count, start + 160)])
            caretColumn = column - start
        }
        // The caret copies tabs from the quoted line so it lines up in any terminal.
        var caret = ""
        for ch in scalars.prefix(max(0, caretColumn - 1)) { caret += ch == "\t" ? "\t" : " " }
        caret += String(repeating: " ", count: max(0, caretColumn - 1 - scalars.count)) + "^"
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        return "\(src.name):\(location.line):\(column): error: \(message)\n    \(text)\n    \(caret)"
    }
}

/// Every problem found before anything runs; `finch` exits with code 2.
public struct SpecErrors: LocalizedError, Sendable {
    public let diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var errorDescription: String? {
        let n = diagnostics.count
        return diagnostics.map(\.description).joined(separator: "\n")
            + "\n\(n) error\(n == 1 ? "" : "s") found; nothing was run."
    }
}

enum Suggest {
    /// The closest candidate within a small edit distance, for "did you mean" hints.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let w = Array(word.lowercased())
        var best: (String, Int)?
        for c in candidates {
            let d = distance(w, Array(c.lowercased()))
            let limit = max(2, min(w.count, c.count) / 3)
            if d <= limit, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    static func hint(_ word: String, _ candidates: [String]) -> String {
        closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Levenshtein distance.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = prev
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1), prev[j] + 1, cur[j - 1] + 1)
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}
