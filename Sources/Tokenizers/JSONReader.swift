import Foundation

/// A parsed JSON value whose every member and element remembers where it stood in the file.
///
/// Foundation's parsers lose positions, and an error in a 50,000-entry vocabulary is only useful with its
/// line. Strings stay raw UTF-8 bytes: vocabulary keys are converted straight to byte-level tokens.
enum JSONValue {
    case object([JSONMember])
    case array([JSONNode])
    case string([UInt8])
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case null

    var typeName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer, .double: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

struct JSONNode {
    var value: JSONValue
    var line: Int
    var column: Int
}

struct JSONMember {
    var key: [UInt8]
    var node: JSONNode
    /// Position of the key (where a reader looks for the entry).
    var line: Int
    var column: Int
}

extension JSONValue {
    /// The member named `key` of an object, if present.
    func member(_ key: String) -> JSONNode? {
        guard case .object(let members) = self else { return nil }
        let k = Array(key.utf8)
        return members.first(where: { $0.key == k })?.node
    }
}

/// Recursive-descent JSON reader (RFC 8259) over UTF-8 bytes, tracking line and column.
struct JSONReader {
    let path: String
    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0

    /// Parses a whole document; trailing non-whitespace is an error.
    static func parse(_ data: [UInt8], path: String) throws -> JSONNode {
        try data.withUnsafeBufferPointer { buf in
            var r = JSONReader(path: path, bytes: buf)
            if buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { r.i = 3 }  // UTF-8 BOM
            r.skipWhitespace()
            let v = try r.parseValue()
            r.skipWhitespace()
            if r.i < buf.count { throw r.error("unexpected content after the JSON value") }
            return v
        }
    }

    /// Fast path for a flat `{"token": id, …}` file (encoder.json / vocab.json): no tree, keys packed.
    static func parseVocabulary(_ data: [UInt8], path: String) throws -> VocabList {
        try data.withUnsafeBufferPointer { buf in
            var r = JSONReader(path: path, bytes: buf)
            if buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { r.i = 3 }
            r.skipWhitespace()
            var list = VocabList()
            guard r.i < buf.count else { throw r.error("the file is empty; expected an object of token → id") }
            guard buf[r.i] == UInt8(ascii: "{") else { throw r.error("the vocabulary must be an object of token → id") }
            r.i += 1
            list.entries.reserveCapacity(buf.count / 12)
            list.text.reserveCapacity(buf.count / 2)
            r.skipWhitespace()
            if r.i < buf.count && buf[r.i] == UInt8(ascii: "}") { r.i += 1 } else {
                while true {
                    r.skipWhitespace()
                    guard r.i < buf.count else { throw r.error("unexpected end of file inside an object; the JSON is truncated") }
                    guard buf[r.i] == UInt8(ascii: "\"") else { throw r.error("unexpected \(r.describe(buf[r.i])); expected a string key") }
                    let line = r.line, column = r.i - r.lineStart + 1
                    let start = list.text.count
                    try r.parseString(into: &list.text)
                    r.skipWhitespace()
                    guard r.i < buf.count, buf[r.i] == UInt8(ascii: ":") else { throw r.error("expected ':' after an object key") }
                    r.i += 1
                    r.skipWhitespace()
                    let value = try r.parseValue()
                    guard case .integer(let id) = value.value else {
                        throw TokenizerError.invalidVocabularyEntry(
                            path: path, line: line, column: column, token: String(decoding: list.text[start...], as: UTF8.self),
                            reason: "the id must be an integer, not \(value.value.typeName)")
                    }
                    list.entries.append(VocabList.Entry(start: UInt32(start), end: UInt32(list.text.count), id: id,
                                                        line: Int32(line), column: Int32(column)))
                    r.skipWhitespace()
                    guard r.i < buf.count else { throw r.error("unexpected end of file inside an object; the JSON is truncated") }
                    if buf[r.i] == UInt8(ascii: ",") { r.i += 1; continue }
                    if buf[r.i] == UInt8(ascii: "}") { r.i += 1; break }
                    throw r.error("unexpected \(r.describe(buf[r.i])); expected ',' or '}'")
                }
            }
            r.skipWhitespace()
            if r.i < buf.count { throw r.error("unexpected content after the JSON value") }
            return list
        }
    }

    private init(path: String, bytes: UnsafeBufferPointer<UInt8>) {
        self.path = path
        self.bytes = bytes
    }

    private func error(_ reason: String, at offset: Int? = nil) -> TokenizerError {
        .invalidJSON(path: path, line: line, column: (offset ?? i) - lineStart + 1, reason: reason)
    }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x20 || c == 0x09 || c == 0x0D {
                i += 1
            } else if c == 0x0A {
                i += 1
                line += 1
                lineStart = i
            } else {
                return
            }
        }
    }

    private func describe(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : String(format: "byte 0x%02X", c)
    }

    private mutating func parseValue() throws -> JSONNode {
        guard i < bytes.count else { throw error("unexpected end of file; the JSON is truncated") }
        let l = line, col = i - lineStart + 1
        let c = bytes[i]
        let value: JSONValue
        switch c {
        case UInt8(ascii: "{"): value = try parseObject()
        case UInt8(ascii: "["): value = try parseArray()
        case UInt8(ascii: "\""): value = .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); value = .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); value = .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); value = .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): value = try parseNumber()
        default: throw error("unexpected \(describe(c)); expected a JSON value")
        }
        return JSONNode(value: value, line: l, column: col)
    }

    private mutating func expectWord(_ w: StaticString) throws {
        let n = w.utf8CodeUnitCount
        let p = w.utf8Start
        guard i + n <= bytes.count, (0..<n).allSatisfy({ bytes[i + $0] == p[$0] }) else {
            throw error("invalid literal; expected \(w)")
        }
        i += n
    }

    private mutating func enter() throws {
        depth += 1
        if depth > 512 { throw error("nesting deeper than 512 levels") }
    }

    private mutating func parseObject() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if i < bytes.count && bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of file inside an object; the JSON is truncated") }
            guard bytes[i] == UInt8(ascii: "\"") else { throw error("unexpected \(describe(bytes[i])); expected a string key") }
            let l = line, col = i - lineStart + 1
            let key = try parseString()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
            i += 1
            skipWhitespace()
            let v = try parseValue()
            members.append(JSONMember(key: key, node: v, line: l, column: col))
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of file inside an object; the JSON is truncated") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw error("unexpected \(describe(bytes[i])); expected ',' or '}'")
        }
    }

    private mutating func parseArray() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var elements: [JSONNode] = []
        skipWhitespace()
        if i < bytes.count && bytes[i] == UInt8(ascii: "]") { i += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of file inside an array; the JSON is truncated") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(elements) }
            throw error("unexpected \(describe(bytes[i])); expected ',' or ']'")
        }
    }

    private mutating func parseString() throws -> [UInt8] {
        var out: [UInt8] = []
        try parseString(into: &out)
        return out
    }

    /// Appends the unescaped bytes of the string starting at the current `"` to `out`.
    private mutating func parseString(into out: inout [UInt8]) throws {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                i += 1
                return
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("control character \(describe(c)) inside a string; escape it") }
            i += 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; return }
            if c < 0x20 { throw error("control character \(describe(c)) inside a string; escape it") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            guard i + 1 < bytes.count else { break }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var v = try parseHex4()
                if v >= 0xD800 && v < 0xDC00 {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw error("lone UTF-16 surrogate in a \\u escape")
                    }
                    i += 2
                    let lo = try parseHex4()
                    guard lo >= 0xDC00 && lo < 0xE000 else { throw error("lone UTF-16 surrogate in a \\u escape") }
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                } else if v >= 0xDC00 && v < 0xE000 {
                    throw error("lone UTF-16 surrogate in a \\u escape")
                }
                out.append(contentsOf: String(Unicode.Scalar(v)!).utf8)
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'", at: i - 2)
            }
        }
        throw error("unterminated string; the JSON is truncated")
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit \(describe(c)) in a \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
        guard i > intStart else { throw error("invalid number", at: start) }
        if i - intStart > 1 && bytes[intStart] == UInt8(ascii: "0") { throw error("numbers must not have leading zeros", at: start) }
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            let f = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            guard i > f else { throw error("invalid number: digits expected after '.'", at: start) }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let f = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            guard i > f else { throw error("invalid number: digits expected in the exponent", at: start) }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let v = Int(text) { return .integer(v) }
        return .double(Double(text) ?? .nan)
    }
}

/// Reads a whole file, mapping absence to `TokenizerError.missingFile`.
func readFileBytes(_ url: URL) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
        throw TokenizerError.missingFile(path: url.path)
    }
    return [UInt8](data)
}
