import Foundation

/// Shape and regularisation of a GPT-2-style model, as Hugging Face's `GPT2Config` names them where they overlap.
///
/// Defaults are GPT-2 small. Presets reproduce the four published OpenAI sizes; any other combination is a
/// custom model (for offline tests and the quickstart).
public struct GPTConfig: Codable, Equatable, Sendable {
    /// Transformer blocks. GPT-2 small: 12.
    public var layers: Int = 12
    /// Attention heads per block; must divide `dim`. GPT-2 small: 12.
    public var heads: Int = 12
    /// Embedding width (`n_embd`). GPT-2 small: 768.
    public var dim: Int = 768
    /// Longest sequence the positional table covers (`n_positions`). GPT-2: 1024.
    public var context: Int = 1024
    /// Token vocabulary; GPT-2's BPE has 50,257 ids.
    public var vocab: Int = 50257
    /// Bias on the fused query/key/value projection. Every OpenAI checkpoint has it; Raschka's from-scratch model defaults to none.
    public var qkvBias: Bool = true
    /// Dropout on embeddings, attention weights and residual branches during training (chapter 7 uses 0.0).
    public var dropout: Float = 0.0
    /// Layer-norm epsilon (`layer_norm_epsilon`).
    public var layerNormEpsilon: Float = 1e-5

    public init(layers: Int = 12, heads: Int = 12, dim: Int = 768, context: Int = 1024, vocab: Int = 50257,
                qkvBias: Bool = true, dropout: Float = 0.0, layerNormEpsilon: Float = 1e-5) {
        self.layers = layers; self.heads = heads; self.dim = dim; self.context = context; self.vocab = vocab
        self.qkvBias = qkvBias; self.dropout = dropout; self.layerNormEpsilon = layerNormEpsilon
    }

    enum CodingKeys: String, CodingKey {
        case layers, heads, dim, context, vocab, dropout
        case qkvBias = "qkv_bias"
        case layerNormEpsilon = "layer_norm_epsilon"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GPTConfig()
        layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? d.layers
        heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? d.heads
        dim = try c.decodeIfPresent(Int.self, forKey: .dim) ?? d.dim
        context = try c.decodeIfPresent(Int.self, forKey: .context) ?? d.context
        vocab = try c.decodeIfPresent(Int.self, forKey: .vocab) ?? d.vocab
        qkvBias = try c.decodeIfPresent(Bool.self, forKey: .qkvBias) ?? d.qkvBias
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? d.dropout
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? d.layerNormEpsilon
    }

    /// The published OpenAI GPT-2 sizes, by the names Finch pipelines use.
    public static let presets: [String: GPTConfig] = [
        "gpt2-small": GPTConfig(layers: 12, heads: 12, dim: 768),
        "gpt2-medium": GPTConfig(layers: 24, heads: 16, dim: 1024),
        "gpt2-large": GPTConfig(layers: 36, heads: 20, dim: 1280),
        "gpt2-xl": GPTConfig(layers: 48, heads: 25, dim: 1600),
    ]

    public static func preset(_ name: String) throws -> GPTConfig {
        guard let c = presets[name] else { throw GPTError.unknownPreset(name) }
        return c
    }

    /// The preset name when this configuration is exactly one of the published sizes (dropout aside).
    public var presetName: String? {
        var probe = self
        probe.dropout = 0
        return GPTConfig.presets.first { $0.value == probe }?.key
    }

    public var headDim: Int { dim / heads }

    /// Throws when the shape cannot form a model (e.g. heads not dividing dim).
    public func validate() throws {
        for (name, v) in [("layers", layers), ("heads", heads), ("dim", dim), ("context", context), ("vocab", vocab)] where v <= 0 {
            throw GPTError.invalidConfig("\(name) must be positive, got \(v)")
        }
        guard dim % heads == 0 else {
            throw GPTError.invalidConfig("dim \(dim) is not divisible by heads \(heads); choose dim as a multiple of heads")
        }
        guard dropout >= 0 && dropout < 1 else {
            throw GPTError.invalidConfig("dropout must be in [0, 1), got \(dropout)")
        }
    }

    /// Trainable parameters with the output head tied to the token embedding (124,439,808 for GPT-2 small).
    public var parameterCount: Int {
        ParameterLayout(config: self).entries.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}
