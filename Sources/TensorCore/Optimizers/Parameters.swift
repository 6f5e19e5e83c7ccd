import Foundation

/// A trainable tensor with the name it has in the model's weights file (e.g. `h.0.attn.c_attn.weight`);
/// names key the optimizer state in checkpoints.
public struct NamedParameter {
    public let name: String
    public let tensor: Tensor

    public init(_ name: String, _ tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// Parameters that share optimizer options, as a PyTorch parameter group.
/// `weightDecay == nil` means "the optimizer's weight decay" (0.1 by default, chapter 7's setting).
public struct ParameterGroup {
    public var parameters: [NamedParameter]
    public var weightDecay: Double?

    public init(_ parameters: [NamedParameter], weightDecay: Double? = nil) {
        self.parameters = parameters
        self.weightDecay = weightDecay
    }

    public init(named: [(String, Tensor)], weightDecay: Double? = nil) {
        self.init(named.map { NamedParameter($0.0, $0.1) }, weightDecay: weightDecay)
    }

    /// The usual GPT split (nanoGPT, Hugging Face Trainer): matrices decay, vectors (biases, layer-norm
    /// gains) do not. Returns the decaying group first; empty groups are kept so callers can rely on two.
    public static func decayAndNoDecay(
        _ parameters: [NamedParameter], noDecay: (NamedParameter) -> Bool = { $0.tensor.shape.count < 2 }
    ) -> [ParameterGroup] {
        [ParameterGroup(parameters.filter { !noDecay($0) }),
         ParameterGroup(parameters.filter(noDecay), weightDecay: 0)]
    }
}
