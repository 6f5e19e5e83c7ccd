import Foundation

/// Collects what decoding a configuration found wrong, and which keys each mapping was asked for
/// (what was never asked for is an unknown key).
final class DecodeSink {
    var diagnostics: [Diagnostic] = []
    private(set) var mappings: [String: (node: YAMLNode, path: [CodingKey], queried: Set<String>)] = [:]
    private var order: [String] = []

    /// Position plus field path: mappings that `--set` creates share a position but not a path.
    private func id(_ n: YAMLNode, _ path: [CodingKey]) -> String {
        "\(ObjectIdentifier(n.location.source).hashValue):\(n.location.line):\(n.location.column):\(fieldPath(path))"
    }

    func visit(_ node: YAMLNode, path: [CodingKey]) {
        let k = id(node, path)
        if mappings[k] == nil {
            mappings[k] = (node, path, [])
            order.append(k)
        }
    }

    var mappingCount: Int { order.count }

    /// A decode that stopped early did not ask for every key: its mappings are not checked.
    func forgetMappings(from index: Int) {
        for k in order[index...] { mappings[k] = nil }
        order.removeSubrange(index...)
    }

    func query(_ node: YAMLNode, path: [CodingKey], _ key: String) { mappings[id(node, path)]?.queried.insert(key) }

    func error(_ at: SourceLocation, _ message: String) { diagnostics.append(Diagnostic(at, message)) }

    /// Keys present in visited mappings that decoding never asked for.
    func unknownKeys() -> [Diagnostic] {
        var out: [Diagnostic] = []
        for k in order {
            guard let m = mappings[k], let pairs = m.node.pairs else { continue }
            let known = m.queried.sorted()
            for (key, _) in pairs {
                guard let name = key.scalar, !m.queried.contains(name) else { continue }
                let place = m.path.isEmpty ? "" : " in '\(fieldPath(m.path))'"
                let expected = known.isEmpty ? "" : "; known keys: \(known.joined(separator: ", "))"
                out.append(Diagnostic(key.location, "unknown key '\(name)'\(place)\(Suggest.hint(name, known))\(expected)"))
            }
        }
        return out
    }
}

/// Marks a decode that cannot go on after recording its diagnostic.
struct DecodeAbort: Error {}

func fieldPath(_ path: [CodingKey]) -> String {
    var s = ""
    for k in path {
        if let i = k.intValue { s += "[\(i)]" } else { s += s.isEmpty ? k.stringValue : ".\(k.stringValue)" }
    }
    return s
}

struct IndexKey: CodingKey {
    var stringValue: String { String(intValue!) }
    var intValue: Int?
    init(_ i: Int) { intValue = i }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// Decodes a configuration from a `YAMLNode`, typing scalars against the fields they fill and
/// recording every problem with its position instead of stopping at the first.
struct NodeDecoder: Decoder {
    let node: YAMLNode
    let codingPath: [CodingKey]
    let sink: DecodeSink
    /// Where to report a missing field of this node: the key that names it.
    let owner: SourceLocation
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var fieldName: String { codingPath.isEmpty ? "configuration" : fieldPath(codingPath) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping = node.kind else {
            sink.error(node.location, "expected a mapping for '\(fieldName)', found \(node.kindName)")
            throw DecodeAbort()
        }
        sink.visit(node, path: codingPath)
        return KeyedDecodingContainer(KeyedNodeContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .sequence(let items) = node.kind else {
            sink.error(node.location, "expected a list for '\(fieldName)', found \(node.kindName)")
            throw DecodeAbort()
        }
        return UnkeyedNodeContainer(decoder: self, items: items)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { SingleNodeContainer(decoder: self) }

    func child(_ node: YAMLNode, _ key: CodingKey, owner: SourceLocation) -> NodeDecoder {
        NodeDecoder(node: node, codingPath: codingPath + [key], sink: sink, owner: owner)
    }

    /// Decodes any type at this node; enumerations with `ConfigChoices` are checked first.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let choices = T.self as? ConfigChoices.Type, let s = node.scalar, !choices.choices.contains(s) {
            sink.error(node.location, "'\(s)' is not a valid value for '\(fieldName)'\(Suggest.hint(s, choices.choices)); expected one of: \(choices.choices.joined(separator: ", "))")
            throw DecodeAbort()
        }
        do {
            return try T(from: self)
        } catch let e as DecodeAbort {
            throw e
        } catch let e as DecodingError {
            sink.error(node.location, "invalid value for '\(fieldName)': \(Self.describe(e))")
            throw DecodeAbort()
        }
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c):
            return c.debugDescription
        @unknown default:
            return "\(e)"
        }
    }

    // MARK: scalars

    private static let floatPattern = #/^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/#
    private static let intPattern = #/^[-+]?[0-9]+$/#

    /// The typed value of a scalar, or a recorded error and a placeholder (nothing runs then).
    func scalar<T>(_ type: T.Type) -> T {
        let name = fieldName
        func bad(_ expected: String) -> T {
            let found: String
            if let s = node.scalar, !node.isNull { found = "'\(s)'" } else { found = node.kindName }
            sink.error(node.location, "expected \(expected) for '\(name)', found \(found)")
            return placeholder(T.self)
        }
        guard case .scalar(let s, let plain) = node.kind else {
            return bad(Self.typeName(T.self))
        }
        if T.self == String.self {
            return node.isNull ? bad("a string") : s as! T
        }
        if T.self == Bool.self {
            guard plain else { return bad("true or false") }
            switch s {
            case "true", "True", "TRUE": return true as! T
            case "false", "False", "FALSE": return false as! T
            default: return bad("true or false")
            }
        }
        if T.self == Double.self || T.self == Float.self {
            guard plain, s.wholeMatch(of: Self.floatPattern) != nil, let d = Double(s), d.isFinite else { return bad("a number") }
            return (T.self == Double.self ? d as Any : Float(d) as Any) as! T
        }
        guard plain, s.wholeMatch(of: Self.intPattern) != nil else { return bad(Self.typeName(T.self)) }
        let v: Any?
        switch T.self {
        case is Int.Type: v = Int(s)
        case is Int64.Type: v = Int64(s)
        case is Int32.Type: v = Int32(s)
        case is UInt.Type: v = UInt(s)
        case is UInt64.Type: v = UInt64(s)
        case is UInt32.Type: v = UInt32(s)
        default: v = nil
        }
        guard let v else {
            let unsigned = T.self is UInt.Type || T.self is UInt64.Type || T.self is UInt32.Type
            return bad(unsigned ? "a non-negative integer in range" : "an integer in range")
        }
        return v as! T
    }

    static func typeName<T>(_ t: T.Type) -> String {
        switch t {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Double.Type, is Float.Type: return "a number"
        case is UInt.Type, is UInt64.Type, is UInt32.Type: return "a non-negative integer"
        default: return "an integer"
        }
    }

    private func placeholder<T>(_ t: T.Type) -> T {
        switch t {
        case is String.Type: return "" as! T
        case is Bool.Type: return false as! T
        case is Double.Type: return 0.0 as! T
        case is Float.Type: return Float(0) as! T
        case is Int.Type: return 0 as! T
        case is Int64.Type: return Int64(0) as! T
        case is Int32.Type: return Int32(0) as! T
        case is UInt.Type: return UInt(0) as! T
        case is UInt64.Type: return UInt64(0) as! T
        default: return UInt32(0) as! T
        }
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    var codingPath: [CodingKey] { decoder.codingPath }

    private func lookup(_ key: Key) -> (key: YAMLNode, value: YAMLNode)? {
        decoder.sink.query(decoder.node, path: decoder.codingPath, key.stringValue)
        return decoder.node.pairs?.first { $0.key.scalar == key.stringValue }
    }

    var allKeys: [Key] {
        (decoder.node.pairs ?? []).compactMap { p in
            guard let s = p.key.scalar else { return nil }
            decoder.sink.query(decoder.node, path: decoder.codingPath, s)
            return Key(stringValue: s)
        }
    }

    func contains(_ key: Key) -> Bool { lookup(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { lookup(key)?.value.isNull ?? true }

    private func childDecoder(_ key: Key) throws -> NodeDecoder {
        guard let pair = lookup(key) else {
            decoder.sink.error(decoder.owner, "missing required field '\(fieldPath(codingPath + [key]))'")
            throw DecodeAbort()
        }
        return decoder.child(pair.value, key, owner: pair.key.location)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try childDecoder(key).decode(T.self)
    }

    /// A field with a bad value falls back to its default here so that the fields after it are
    /// still checked (the error is recorded, so nothing runs).
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let pair = lookup(key), !pair.value.isNull else { return nil }
        do {
            return try decoder.child(pair.value, key, owner: pair.key.location).decode(T.self)
        } catch is DecodeAbort {
            return nil
        }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try childDecoder(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        try childDecoder(key).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> Decoder { try childDecoder(key) }
}

private struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let items: [YAMLNode]
    var currentIndex = 0
    var codingPath: [CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(decoder: NodeDecoder, items: [YAMLNode]) {
        self.decoder = decoder
        self.items = items
    }

    private mutating func next() throws -> NodeDecoder {
        guard !isAtEnd else {
            decoder.sink.error(decoder.node.location, "list '\(decoder.fieldName)' is too short")
            throw DecodeAbort()
        }
        defer { currentIndex += 1 }
        return decoder.child(items[currentIndex], IndexKey(currentIndex), owner: items[currentIndex].location)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(T.self) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> Decoder { try next() }
}

private struct SingleNodeContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.node.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { decoder.scalar(type) }
    func decode(_ type: String.Type) throws -> String { decoder.scalar(type) }
    func decode(_ type: Double.Type) throws -> Double { decoder.scalar(type) }
    func decode(_ type: Float.Type) throws -> Float { decoder.scalar(type) }
    func decode(_ type: Int.Type) throws -> Int { decoder.scalar(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { decoder.scalar(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { decoder.scalar(type) }
    func decode(_ type: UInt.Type) throws -> UInt { decoder.scalar(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { decoder.scalar(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { decoder.scalar(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { throw unsupported() }
    func decode(_ type: Int16.Type) throws -> Int16 { throw unsupported() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { throw unsupported() }
    func decode(_ type: UInt16.Type) throws -> UInt16 { throw unsupported() }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decode(T.self) }

    private func unsupported() -> Error {
        decoder.sink.error(decoder.node.location, "internal: 8/16-bit integers are not supported in configurations")
        return DecodeAbort()
    }
}
