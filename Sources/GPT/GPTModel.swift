import TensorCore

/// GPT-2 on the tensor core: pre-norm transformer blocks, fused causal attention, GELU MLP, final layer norm
/// and the output head tied to the token embedding.
public final class GPTModel: @unchecked Sendable {
    public let weights: GPTWeights
    public var config: GPTConfig { weights.config }
    /// Low-rank adapters, when fine-tuning with LoRA; their products are added to the adapted projections.
    public private(set) var lora: LoRA?

    public init(weights: GPTWeights) { self.weights = weights }

    /// Adds LoRA adapters and freezes every base weight, so only adapters train.
    public func attach(_ lora: LoRA) {
        self.lora = lora
        for (_, t) in weights.named { t.requiresGrad = false }
    }

    /// The tensors an optimizer should update: the adapters under LoRA, otherwise every weight.
    public var trainableParameters: [(String, Tensor)] { lora?.named ?? weights.named }

    /// Logits [B, T, V] for `ids` [B, T] (row-major). `dropout` gives the stream for dropout masks during
    /// training; nil (evaluation, generation) applies none.
    public func logits(ids: [Int32], batch B: Int, length T: Int, dropout: RNG? = nil) -> Tensor {
        let x = hiddenStates(ids: ids, batch: B, length: T, dropout: dropout)
        // Tied head: logits [B, T, V] = x [B, T, C] · wteᵀ
        return matmul(x, weights["wte.weight"], transposeB: true)
    }

    /// Mean cross-entropy over the batch's counted targets (-100 ignored), shape [].
    ///
    /// Runs on the packed positions that can reach the loss (`PackedBatch`), and the head and softmax only on
    /// those with a counted target: the head is about a third of a GPT-2 small step's products. Same loss and
    /// gradients as the padded computation, up to summation order.
    public func loss(_ batch: TokenBatch, dropout: RNG? = nil) -> Tensor {
        let packed = PackedBatch(batch)
        guard packed.count > 0 else {
            // Nothing counted: the padded path gives cross-entropy's all-ignored result (0, zero gradients).
            return crossEntropy(logits(ids: batch.inputs, batch: batch.rows, length: batch.length, dropout: dropout),
                                targets: batch.targets)
        }
        let x = hiddenStates(packed, dropout: dropout)
        let rows = packed.countedTokens.count == packed.count ? x : embedding(x, ids: packed.countedTokens)
        // Tied head on the counted rows: logits [n, V] = rows [n, C] · wteᵀ
        return crossEntropy(matmul(rows, weights["wte.weight"], transposeB: true), targets: packed.countedTargets)
    }

    /// Final-layer-normed hidden states [B, T, C].
    func hiddenStates(ids: [Int32], batch B: Int, length T: Int, dropout: RNG?) -> Tensor {
        precondition(ids.count == B * T, "\(ids.count) ids for a [\(B), \(T)] batch")
        precondition(T <= config.context, "sequence of \(T) tokens exceeds the context of \(config.context)")
        // x [B, T, C] = wte[ids] + wpe[0..<T] (broadcast over the batch)
        let x = add(embedding(weights["wte.weight"], ids: ids, shape: [B, T]),
                    embedding(weights["wpe.weight"], ids: (0..<Int32(T)).map { $0 }, shape: [T]))
        return transformer(x, dropout: dropout) { qkv, p, rng in
            causalSelfAttention(qkv, heads: self.config.heads, dropout: p, rng: rng)
        }
    }

    /// Final-layer-normed hidden states [N, C] of a packed batch's tokens.
    func hiddenStates(_ packed: PackedBatch, dropout: RNG?) -> Tensor {
        precondition(packed.longest <= config.context, "sequence of \(packed.longest) tokens exceeds the context of \(config.context)")
        let (B, T, C, N) = (packed.rows, packed.longest, config.dim, packed.count)
        // x [N, C] = wte[ids] + wpe[positions]
        let x = add(embedding(weights["wte.weight"], ids: packed.ids), embedding(weights["wpe.weight"], ids: packed.positions))
        return transformer(x, dropout: dropout) { qkv, p, rng in
            // qkv [N, 3C] -> padded [B, T, 3C] -> attention [B, T, C] -> packed [N, C]
            let padded = embedding(qkv, ids: packed.paddedSlots, shape: [B, T])
            let y = causalSelfAttention(padded, heads: self.config.heads, dropout: p, rng: rng)
            return embedding(reshape(y, [B * T, C]), ids: packed.packedSlots, shape: [N])
        }
    }

    /// Embedding dropout, the blocks and the final layer norm over embedded tokens x [..., C]. `attention`
    /// gets qkv, the attention-dropout probability and its stream (nil without dropout).
    private func transformer(_ embedded: Tensor, dropout: RNG?, attention: (Tensor, Float, RNG?) -> Tensor) -> Tensor {
        let c = config
        let p = c.dropout
        let training = dropout != nil && p > 0
        // Every dropout site draws from its own fork, numbered in execution order.
        var site: UInt64 = 0
        func stream() -> RNG? {
            guard training, let dropout else { return nil }
            site += 1
            return dropout.fork(site)
        }
        func drop(_ t: Tensor) -> Tensor {
            guard let rng = stream() else { return t }
            return TensorCore.dropout(t, probability: p, rng: rng)
        }
        var x = drop(embedded)
        for i in 0..<c.layers {
            x = block(i, x, attention: { qkv in
                let rng = stream()
                return attention(qkv, rng == nil ? 0 : p, rng)
            }, drop: drop)
        }
        return layerNorm(x, weight: weights["ln_f.weight"], bias: weights["ln_f.bias"])
    }

    /// One transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)). `attention` maps qkv [..., 3C] to [..., C]
    /// (full causal during training, KV-cached during generation); `decode` replaces the projections during
    /// generation's per-token steps.
    func block(_ i: Int, _ x: Tensor, attention: (Tensor) -> Tensor, drop: (Tensor) -> Tensor,
               decode: DecodeWeights? = nil) -> Tensor {
        let w = weights, p = "h.\(i)."
        func project(_ x: Tensor, _ name: String) -> Tensor { decode?.project(x, name) ?? self.project(x, name) }
        let h1 = layerNorm(x, weight: w[p + "ln_1.weight"], bias: w[p + "ln_1.bias"])
        let qkv = project(h1, p + "attn.c_attn")
        let a = project(attention(qkv), p + "attn.c_proj")
        let x1 = add(x, drop(a))
        let h2 = layerNorm(x1, weight: w[p + "ln_2.weight"], bias: w[p + "ln_2.bias"])
        let u = project(h2, p + "mlp.c_fc")
        let m = decode == nil ? activatedProjection(u, p + "mlp.c_proj") : project(gelu(u), p + "mlp.c_proj")
        return add(x1, drop(m))
    }

    /// project(gelu(u), name), fused when no adapter needs gelu(u) itself (then backward keeps only u).
    func activatedProjection(_ u: Tensor, _ name: String) -> Tensor {
        guard lora?.adapter(for: name) == nil else { return project(gelu(u), name) }
        return geluLinear(u, weight: weights[name + ".weight"], bias: bias(of: name))
    }

    /// The bias of projection `name`; c_attn has none unless `qkv_bias`.
    func bias(of name: String) -> Tensor? {
        config.qkvBias || !name.hasSuffix("c_attn") ? weights[name + ".bias"] : nil
    }

    /// Conv1D projection `name` (weight [in, out], optional bias), plus its LoRA update when adapted.
    func project(_ x: Tensor, _ name: String) -> Tensor {
        let y = linear(x, weight: weights[name + ".weight"], bias: bias(of: name))
        guard let adapter = lora?.adapter(for: name) else { return y }
        return add(y, adapter.delta(x))
    }
}
