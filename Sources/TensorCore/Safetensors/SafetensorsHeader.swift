import Foundation

/// One tensor's header entry; `byteRange` is relative to the start of the data section.
public struct SafetensorsEntry: Equatable, Sendable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    public let byteRange: Range<Int>
}

/// Parsing and validation of the JSON header, strict in the same places as the reference `safetensors`
/// library: every entry well-formed, sizes consistent with shape and dtype, tensors tiling the data
/// section without overlap or gaps. Nothing is trusted before it is checked, so hostile input cannot
/// make a later read go out of bounds.
enum SafetensorsHeader {
    /// Same cap as the reference implementation; stops a forged length from driving a huge allocation.
    static let maxHeaderLength: UInt64 = 100_000_000

    static func parse(_ file: String, header: UnsafeRawBufferPointer, dataSize: Int)
        throws -> (entries: [SafetensorsEntry], metadata: [String: String]) {
        guard header.first == UInt8(ascii: "{") else {
            throw SafetensorsError.headerNotJSON(file: file, reason: header.isEmpty ? "the header is empty" : "it does not start with '{'")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(header), options: [])
        } catch {
            throw SafetensorsError.headerNotJSON(file: file, reason: "invalid JSON (\(error.localizedDescription))")
        }
        guard let root = object as? [String: Any] else {
            throw SafetensorsError.headerNotJSON(file: file, reason: "the top level is not an object")
        }
        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for (name, value) in root {
            if name == "__metadata__" {
                metadata = try parseMetadata(file, value)
            } else {
                entries.append(try parseEntry(file, name, value, dataSize: dataSize))
            }
        }
        entries.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) }
        var covered = 0
        var previous: String?
        for e in entries {
            if e.byteRange.lowerBound < covered, let previous {
                throw SafetensorsError.overlappingTensors(file: file, first: previous, second: e.name)
            }
            if e.byteRange.lowerBound > covered {
                throw SafetensorsError.unusedBytes(file: file, begin: covered, end: e.byteRange.lowerBound)
            }
            covered = e.byteRange.upperBound
            previous = e.name
        }
        if covered != dataSize { throw SafetensorsError.unusedBytes(file: file, begin: covered, end: dataSize) }
        return (entries, metadata)
    }

    private static func parseMetadata(_ file: String, _ value: Any) throws -> [String: String] {
        guard let map = value as? [String: Any] else { throw SafetensorsError.invalidMetadata(file: file, problem: "is not an object") }
        var out: [String: String] = [:]
        for (key, v) in map {
            guard let s = v as? String else {
                throw SafetensorsError.invalidMetadata(file: file, problem: "value of '\(key)' is not a string")
            }
            out[key] = s
        }
        return out
    }

    private static func parseEntry(_ file: String, _ name: String, _ value: Any, dataSize: Int) throws -> SafetensorsEntry {
        func invalid(_ problem: String) -> SafetensorsError { .invalidEntry(file: file, tensor: name, problem: problem) }
        guard let fields = value as? [String: Any] else { throw invalid("is not an object with dtype, shape and data_offsets") }
        for key in fields.keys where !["dtype", "shape", "data_offsets"].contains(key) {
            throw invalid("unexpected field '\(key)'")
        }
        guard let dtypeName = fields["dtype"] as? String else { throw invalid("missing or non-string 'dtype'") }
        guard let shapeValues = fields["shape"] as? [Any] else { throw invalid("missing or non-array 'shape'") }
        guard let offsetValues = fields["data_offsets"] as? [Any], offsetValues.count == 2 else {
            throw invalid("'data_offsets' must be an array of two integers [begin, end]")
        }
        var shape: [Int] = []
        for v in shapeValues {
            guard let d = nonNegativeInt(v) else { throw invalid("shape \(shapeValues) has an entry that is not a non-negative integer") }
            shape.append(d)
        }
        guard let begin = nonNegativeInt(offsetValues[0]), let end = nonNegativeInt(offsetValues[1]) else {
            throw invalid("data_offsets \(offsetValues) are not non-negative integers")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            if SafetensorsDType.otherKnown.contains(dtypeName) {
                throw SafetensorsError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
            }
            throw SafetensorsError.unknownDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard begin <= end, end <= dataSize else {
            throw SafetensorsError.offsetsOutOfRange(file: file, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        var expected = dtype.byteSize
        for d in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else { throw invalid("shape \(shape) is too large") }
            expected = product
        }
        guard expected == end - begin else {
            throw SafetensorsError.sizeMismatch(file: file, tensor: name, dtype: dtypeName, shape: shape,
                                                expectedBytes: expected, actualBytes: end - begin)
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// JSON numbers arrive as Int or Double depending on the platform's Foundation; accept only exact integers.
    private static func nonNegativeInt(_ v: Any) -> Int? {
        if let i = v as? Int { return i >= 0 ? i : nil }
        if let d = v as? Double, d >= 0, d < 9.0e15, d == d.rounded() { return Int(d) }
        return nil
    }
}
