import Foundation
import Pipeline

/// One value in a benchmark record. Literals work directly: `["bench": "matmul", "m": 544, "gflops": 251.3]`.
enum BenchValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral
{
    case string(String)
    case int(Int)
    /// A number printed with `digits` decimals (timings are noisy; more digits only add noise).
    case number(Double, digits: Int)
    case bool(Bool)
    /// A JSON array (per-step losses, sequence lengths).
    case array([BenchValue])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(floatLiteral value: Double) { self = .number(value, digits: 3) }
    init(booleanLiteral value: Bool) { self = .bool(value) }

    var json: String {
        switch self {
        case .string(let s): return JSONValue.string(s).canonicalJSON
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .array(let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
        case .number(let x, let digits):
            guard x.isFinite else { return "null" }
            return String(format: "%.\(digits)f", x)
        }
    }
}

/// Writes benchmark records: one JSON object per line on standard output, keys in the order given,
/// flushed at once so a long suite shows progress and a killed run keeps its finished lines.
enum BenchOutput {
    static func emit(_ fields: KeyValuePairs<String, BenchValue>) {
        emit(fields.map { ($0.key, $0.value) })
    }

    static func emit(_ fields: [(String, BenchValue)]) {
        let body = fields.map { "\(JSONValue.string($0.0).canonicalJSON):\($0.1.json)" }.joined(separator: ",")
        FileHandle.standardOutput.write(Data("{\(body)}\n".utf8))
    }
}
