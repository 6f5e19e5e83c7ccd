/// The shape of a configuration value in the pipeline file, for fields that accept more than one
/// shape (`size: gpt2-medium` or `size: {layers: 2, …}`): asking never records an error, whereas
/// decoding the wrong shape does.
public enum ConfigValueShape: Sendable {
    case null, scalar, sequence, mapping
}

extension Decoder {
    /// The YAML shape at this decoder while a pipeline file is decoded; nil for other decoders
    /// (e.g. JSON read back from run records), which should try the shapes in turn.
    public var configValueShape: ConfigValueShape? {
        guard let d = self as? NodeDecoder else { return nil }
        if d.node.isNull { return .null }
        switch d.node.kind {
        case .scalar: return .scalar
        case .sequence: return .sequence
        case .mapping: return .mapping
        }
    }
}
