import Foundation
import TensorCore

/// Every parameter of a GPT-2 model, named as Hugging Face names them, in `ParameterLayout` order.
public final class GPTWeights: @unchecked Sendable {
    public let config: GPTConfig
    /// (name, tensor) in layout order; the order optimizers, checkpoints and fixtures agree on.
    public let named: [(String, Tensor)]
    private let byName: [String: Tensor]

    /// Wraps tensors that already have the layout's names and shapes (checked).
    public init(config: GPTConfig, tensors: [String: Tensor], source: String = "weights") throws {
        try config.validate()
        var named: [(String, Tensor)] = []
        for entry in ParameterLayout(config: config).entries {
            guard let t = tensors[entry.name] else { throw GPTError.missingTensor(name: entry.name, file: source) }
            guard t.shape == entry.shape else {
                throw GPTError.shapeMismatch(name: entry.name, expected: entry.shape, found: t.shape, file: source)
            }
            t.requiresGrad = true
            named.append((entry.name, t))
        }
        self.config = config
        self.named = named
        self.byName = Dictionary(uniqueKeysWithValues: named)
    }

    /// A model initialised as Hugging Face's `GPT2PreTrainedModel._init_weights` does: normal(0, 0.02) for
    /// embeddings and projections, residual projections scaled by 1/√(2·layers), layer norms at 1 and 0, biases 0.
    /// Each tensor draws from its own forked stream, so the values do not depend on the order of creation.
    public static func random(config: GPTConfig, seed: UInt64) throws -> GPTWeights {
        let base = RNG(seed: seed)
        var tensors: [String: Tensor] = [:]
        for (index, entry) in ParameterLayout(config: config).entries.enumerated() {
            let t = Tensor(zeros: entry.shape)
            switch entry.initialisation {
            case .zeros: break
            case .ones: t.data.update(repeating: 1, count: t.count)
            case .normal(let std):
                var rng = base.fork(UInt64(index))
                for i in 0..<t.count { t.data[i] = rng.normal(std: std) }
            }
            tensors[entry.name] = t
        }
        return try GPTWeights(config: config, tensors: tensors)
    }

    public subscript(_ name: String) -> Tensor {
        guard let t = byName[name] else { preconditionFailure("no parameter \(name) in the GPT-2 layout") }
        return t
    }

    public var parameters: [Tensor] { named.map(\.1) }
}
