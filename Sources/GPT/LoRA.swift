import Foundation
import TensorCore

/// LoRA settings (`finetune: lora: {rank, alpha, targets, scaling}`).
public struct LoRAConfig: Codable, Equatable, Sendable {
    /// Rank r of each adapter pair A [in, r] · B [r, out]. Exercise 7.4 uses 16.
    public var rank: Int = 16
    /// Strength of the adapter update. Exercise 7.4 uses 16.
    public var alpha: Float = 16
    /// Projections to adapt, matched against the end of the layer name: `c_attn`, `attn.c_proj`, `mlp.c_proj`,
    /// `c_proj` (both), `c_fc`. The tied output head is never adapted: it is the token embedding.
    public var targets: [String] = ["c_attn", "c_proj", "c_fc"]
    /// `alpha_over_rank` scales updates by alpha/r as the LoRA paper and PEFT do; `alpha` scales by alpha alone,
    /// as the book's appendix E `LoRALayer` does (choose it to reproduce exercise 7.4 exactly).
    public var scaling: Scaling = .alphaOverRank

    public enum Scaling: String, Codable, Sendable { case alphaOverRank = "alpha_over_rank", alpha }

    public init(rank: Int = 16, alpha: Float = 16, targets: [String] = ["c_attn", "c_proj", "c_fc"], scaling: Scaling = .alphaOverRank) {
        self.rank = rank; self.alpha = alpha; self.targets = targets; self.scaling = scaling
    }

    enum CodingKeys: String, CodingKey { case rank, alpha, targets, scaling }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LoRAConfig()
        rank = try c.decodeIfPresent(Int.self, forKey: .rank) ?? d.rank
        alpha = try c.decodeIfPresent(Float.self, forKey: .alpha) ?? d.alpha
        targets = try c.decodeIfPresent([String].self, forKey: .targets) ?? d.targets
        scaling = try c.decodeIfPresent(Scaling.self, forKey: .scaling) ?? d.scaling
    }

    public var scale: Float { scaling == .alpha ? alpha : alpha / Float(rank) }

    static let adaptable = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"]

    public func validate() throws {
        guard rank > 0 else { throw GPTError.invalidConfig("lora rank must be positive, got \(rank)") }
        for t in targets where !LoRAConfig.adaptable.contains(where: { $0.hasSuffix(t) }) {
            throw GPTError.invalidConfig("lora target '\(t)' matches no projection; use c_attn, c_proj, attn.c_proj, mlp.c_proj or c_fc")
        }
    }
}

/// One adapter: y += scale · (x · A) · B, with A [in, r] drawn like the book's kaiming-uniform init and B zero,
/// so a fresh adapter leaves the model unchanged.
public struct LoRAAdapter {
    public let a: Tensor
    public let b: Tensor
    public let scale: Float

    /// The update [..., out] for x [..., in].
    func delta(_ x: Tensor) -> Tensor {
        TensorCore.scale(matmul(matmul(x, a), b), scale)
    }
}

/// The adapters of a model, keyed by projection name (`h.3.attn.c_attn`).
public final class LoRA: @unchecked Sendable {
    public let config: LoRAConfig
    private let adapters: [String: LoRAAdapter]
    /// (name, tensor) for every adapter matrix, in layer order: `h.0.attn.c_attn.lora_A`, `…lora_B`, …
    public let named: [(String, Tensor)]

    public init(config: LoRAConfig, model: GPTConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        var rng = RNG(seed: seed)
        var adapters: [String: LoRAAdapter] = [:], named: [(String, Tensor)] = []
        for i in 0..<model.layers {
            for suffix in LoRAConfig.adaptable where config.targets.contains(where: { suffix.hasSuffix($0) }) {
                let name = "h.\(i).\(suffix)"
                let (inF, outF) = LoRA.shape(suffix, model)
                // torch's kaiming_uniform_(a=√5) on an [in, r] tensor uses fan_in = r: bound 1/√r.
                let bound = 1 / Float(config.rank).squareRoot()
                let a = Tensor(zeros: [inF, config.rank], requiresGrad: true)
                for j in 0..<a.count { a.data[j] = (2 * rng.nextFloat() - 1) * bound }
                let b = Tensor(zeros: [config.rank, outF], requiresGrad: true)
                adapters[name] = LoRAAdapter(a: a, b: b, scale: config.scale)
                named += [(name + ".lora_A", a), (name + ".lora_B", b)]
            }
        }
        self.adapters = adapters
        self.named = named
    }

    func adapter(for projection: String) -> LoRAAdapter? { adapters[projection] }

    static func shape(_ suffix: String, _ c: GPTConfig) -> (Int, Int) {
        switch suffix {
        case "attn.c_attn": return (c.dim, 3 * c.dim)
        case "mlp.c_fc": return (c.dim, 4 * c.dim)
        case "mlp.c_proj": return (4 * c.dim, c.dim)
        default: return (c.dim, c.dim)
        }
    }

    /// Weights with every adapter folded in, W' [in, out] = W + scale · A · B, for export: the result is a plain
    /// GPT-2 that Hugging Face loads with no LoRA code.
    public func merged(into weights: GPTWeights) throws -> GPTWeights {
        var tensors: [String: Tensor] = [:]
        for (name, t) in weights.named {
            if name.hasSuffix(".weight"), let merged = mergedWeight(String(name.dropLast(".weight".count)), base: t) {
                tensors[name] = merged
            } else {
                tensors[name] = Tensor(shape: t.shape, values: t.toArray())
            }
        }
        return try GPTWeights(config: weights.config, tensors: tensors)
    }

    /// W + scale · A · B for an adapted projection (a new tensor), nil when `projection` has no adapter.
    func mergedWeight(_ projection: String, base: Tensor) -> Tensor? {
        guard let adapter = adapters[projection] else { return nil }
        let product = withoutGradients { matmul(adapter.a, adapter.b) }
        let merged = Tensor(shape: base.shape, values: base.toArray())
        for j in 0..<merged.count { merged.data[j] += adapter.scale * product.data[j] }
        return merged
    }
}
