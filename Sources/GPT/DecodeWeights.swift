import TensorCore

/// The model's matrices as the per-token steps of generation read them: each projection transposed to
/// [out, in] and the tied head, in fp32 or bf16, with LoRA adapters merged in. A snapshot: build it once
/// for a run of `generate` calls; later changes to the model's weights do not reach it.
///
/// Why a separate copy: a decode step multiplies one row per sequence by every weight, so it is bound by
/// reading the weights. `SkinnyMatmulKernel` streams rows of [out, in] matrices at close to the machine's
/// bandwidth, where oneDNN's matmul on GPT-2's [in, out] Conv1D layout reads at about half of it; bf16 halves
/// the bytes again. Prompts (the prefill) still run through the model's own fp32 weights and oneDNN.
public final class DecodeWeights: @unchecked Sendable {
    public let precision: Precision
    private let matrices: [String: DecodeMatrix]
    private let biases: [String: Tensor]
    private let head: DecodeMatrix

    /// Copies `model`'s projections (merged with its LoRA adapters, if any) and head in `precision`.
    public init(model: GPTModel, precision: Precision) {
        self.precision = precision
        let c = model.config, w = model.weights
        var matrices: [String: DecodeMatrix] = [:], biases: [String: Tensor] = [:]
        for i in 0..<c.layers {
            for suffix in ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"] {
                let name = "h.\(i).\(suffix)"
                let base = w[name + ".weight"]
                matrices[name] = DecodeMatrix(transposing: model.lora?.mergedWeight(name, base: base) ?? base, precision: precision)
                if let bias = model.bias(of: name) { biases[name] = Tensor(shape: bias.shape, values: bias.toArray()) }
            }
        }
        self.matrices = matrices
        self.biases = biases
        head = DecodeMatrix(rows: w["wte.weight"], precision: precision)
    }

    /// Bytes of the copies (what building them adds to memory).
    public var bytes: Int { matrices.values.reduce(head.bytes) { $0 + $1.bytes } }

    /// Projection `name` (e.g. `h.3.mlp.c_fc`) of x [..., in] -> [..., out].
    func project(_ x: Tensor, _ name: String) -> Tensor {
        guard let m = matrices[name] else { preconditionFailure("no decode matrix for \(name)") }
        return m.apply(x, bias: biases[name])
    }

    /// Logits [..., V] of final hidden states [..., C] through the tied head.
    func logits(_ x: Tensor) -> Tensor { head.apply(x) }
}
