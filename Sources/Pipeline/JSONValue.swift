import Foundation

/// A JSON document: configurations after decoding, metrics, run records.
///
/// Numbers are `Double`: integers beyond 2^53 lose precision, which no stage configuration needs.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var numberValue: Double? { if case .number(let d) = self { return d }; return nil }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }

    /// Converts any `Encodable` value (a stage configuration) into a JSON value.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Flattens nested objects into dotted paths (`optimizer.lr`); arrays and scalars are leaves.
    public func flattened(prefix: String = "") -> [String: JSONValue] {
        guard case .object(let o) = self else { return prefix.isEmpty ? [:] : [prefix: self] }
        var out: [String: JSONValue] = [:]
        for (k, v) in o {
            let path = prefix.isEmpty ? k : "\(prefix).\(k)"
            if case .object = v { out.merge(v.flattened(prefix: path)) { a, _ in a } } else { out[path] = v }
        }
        return out
    }
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d):
            if let i = JSONValue.exactInteger(d) { try c.encode(i) } else { try c.encode(d) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension JSONValue {
    static func exactInteger(_ d: Double) -> Int64? {
        guard d.isFinite, d == d.rounded(), abs(d) < 9_007_199_254_740_992 else { return nil }
        return Int64(d)
    }

    /// Canonical JSON, the input of every cache key. The rule (documented in docs/pipelines.md):
    /// object keys sorted by their UTF-8 bytes; no whitespace; strings escape only `"`, `\` and
    /// control characters (`\b \f \n \r \t`, others as `\u00xx`); a number that is an integer of
    /// magnitude below 2^53 is written as that integer (`2.0` → `2`, `-0.0` → `0`), any other
    /// finite number as the shortest decimal that reads back to the same binary64 value
    /// (`5e-5` and `0.00005` both → `5e-05`); non-finite numbers are written as `null`.
    public var canonicalJSON: String {
        var out = ""
        writeCanonical(into: &out)
        return out
    }

    private func writeCanonical(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += JSONValue.canonicalNumber(d)
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.writeCanonical(into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            let keys = o.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for (i, k) in keys.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(k, into: &out)
                out += ":"
                o[k]!.writeCanonical(into: &out)
            }
            out += "}"
        }
    }

    static func canonicalNumber(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if let i = exactInteger(d) { return String(i) }
        return d.description
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += "\\u00" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    /// A short human rendering for tables and plans: strings bare, numbers canonical.
    public var display: String {
        switch self {
        case .string(let s): return s
        case .number(let d): return JSONValue.canonicalNumber(d)
        default: return canonicalJSON
        }
    }
}
