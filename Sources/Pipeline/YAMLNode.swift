/// A YAML node with the position it came from. Scalars keep their text untyped: the configuration
/// decoder types them against the field they fill, so `"5"` (quoted) is never taken for a number.
public struct YAMLNode: Sendable {
    public indirect enum Kind: Sendable {
        /// `plain` is false for quoted or block scalars and for `!!str`.
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public var kind: Kind
    public let location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    var isNull: Bool {
        if case .scalar(let s, let plain) = kind, plain, ["", "~", "null", "Null", "NULL"].contains(s) { return true }
        return false
    }

    var scalar: String? {
        if case .scalar(let s, _) = kind { return s }
        return nil
    }

    var pairs: [(key: YAMLNode, value: YAMLNode)]? {
        if case .mapping(let p) = kind { return p }
        return nil
    }

    /// The value under a key of a mapping node.
    func value(for key: String) -> YAMLNode? {
        pairs?.first { $0.key.scalar == key }?.value
    }

    func keyNode(for key: String) -> YAMLNode? {
        pairs?.first { $0.key.scalar == key }?.key
    }

    var kindName: String {
        switch kind {
        case .scalar: return isNull ? "null" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}
