import Foundation

/// A string with `{field}` slots, parsed once and checked against the fields it may use.
/// `{{` and `}}` stand for literal braces, so templates can contain JSON examples.
public struct SlotTemplate: Equatable, Sendable {
    enum Piece: Equatable, Sendable {
        case text(String)
        case slot(String)
    }

    let pieces: [Piece]
    public let source: String

    /// - Parameters:
    ///   - name: which template this is (e.g. `prompt`), named in errors.
    ///   - allowed: the slot names this template may use.
    public init(_ source: String, name: String, allowed: [String]) throws {
        self.source = source
        var pieces: [Piece] = []
        var text = ""
        let chars = Array(source)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "{" {
                if i + 1 < chars.count, chars[i + 1] == "{" { text.append("{"); i += 2; continue }
                guard let close = chars[(i + 1)...].firstIndex(of: "}") else {
                    throw TemplateError.unclosedSlot(template: name, column: i + 1)
                }
                let slot = String(chars[(i + 1)..<close]).trimmingCharacters(in: .whitespaces)
                guard allowed.contains(slot) else {
                    throw TemplateError.unknownSlot(template: name, slot: slot, allowed: allowed)
                }
                if !text.isEmpty { pieces.append(.text(text)); text = "" }
                pieces.append(.slot(slot))
                i = close + 1
            } else if c == "}" {
                if i + 1 < chars.count, chars[i + 1] == "}" { text.append("}"); i += 2; continue }
                throw TemplateError.strayBrace(template: name, column: i + 1)
            } else {
                text.append(c)
                i += 1
            }
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        self.pieces = pieces
    }

    /// The slots this template uses, in order of first use.
    public var slots: [String] {
        var seen: [String] = []
        for case .slot(let s) in pieces where !seen.contains(s) { seen.append(s) }
        return seen
    }

    public func render(_ values: [String: String]) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let t): out += t
            case .slot(let s): out += values[s] ?? ""
            }
        }
        return out
    }
}

public enum TemplateError: LocalizedError, Equatable {
    case unknownSlot(template: String, slot: String, allowed: [String])
    case unclosedSlot(template: String, column: Int)
    case strayBrace(template: String, column: Int)
    case missingPart(style: String, field: String)
    case unexpectedPart(style: String, field: String)

    public var errorDescription: String? {
        switch self {
        case .unknownSlot(let t, let slot, let allowed):
            let hint = closest(slot, in: allowed).map { " (did you mean {\($0)}?)" } ?? ""
            return "template `\(t)`: unknown slot {\(slot)}\(hint); available slots: \(allowed.map { "{\($0)}" }.joined(separator: ", "))"
        case .unclosedSlot(let t, let col):
            return "template `\(t)`: '{' at character \(col) is never closed; write '{{' for a literal brace"
        case .strayBrace(let t, let col):
            return "template `\(t)`: '}' at character \(col) closes no slot; write '}}' for a literal brace"
        case .missingPart(let style, let field):
            return "template style `\(style)` needs `\(field):` (a string with {field} slots)"
        case .unexpectedPart(let style, let field):
            return "`\(field):` is only used with `style: custom`, not with `style: \(style)`; remove it or set `style: custom`"
        }
    }
}

/// The candidate with the smallest edit distance, when it is close enough to be a likely typo.
func closest(_ word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
    let w = Array(word.lowercased())
    let best = candidates.map { ($0, distance(w, Array($0.lowercased()))) }.min { $0.1 < $1.1 }
    guard let (name, d) = best, d <= max(2, w.count / 3) else { return nil }
    return name
}
