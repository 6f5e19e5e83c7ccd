/// Causal multi-head self-attention over c_attn's output: qkv [B, T, 3C] -> [B, T, C] with
/// `heads` heads (see `AttentionKernel` for the mask and padding). Saves qkv (a view) and the
/// attention weights [B, H, T, T]. Matrix products use `ComputeSettings.precision`.
/// `dropout` > 0 drops attention weights after the softmax (GPT-2's attn_pdrop, Raschka's
/// drop_rate inside MultiHeadAttention) with a mask drawn from `rng`; it must then be given.
public func causalSelfAttention(_ qkv: Tensor, heads: Int, dropout p: Float = 0, rng: RNG? = nil) -> Tensor {
    precondition(p >= 0 && p < 1, "attention dropout \(p) must be in [0, 1)")
    precondition(p == 0 || rng != nil, "attention dropout needs an RNG stream")
    let drop: (probability: Float, rng: RNG)? = p > 0 ? (p, rng!) : nil
    precondition(qkv.rank == 3 && qkv.shape[2] % 3 == 0, "causalSelfAttention: qkv must be [B, T, 3C], got \(qkv.shape)")
    let B = qkv.shape[0], T = qkv.shape[1], C = qkv.shape[2] / 3
    precondition(heads > 0 && C % heads == 0, "causalSelfAttention: \(C) channels do not split into \(heads) heads")
    let out = Tensor(uninitialized: [B, T, C])
    let att = Tensor(uninitialized: [B, heads, T, T])
    let precision = ComputeSettings.precision
    AttentionKernel.forward(out: out.data, att: att.data, qkv: qkv.data, B: B, T: T, C: C, heads: heads, precision: precision, dropout: drop)
    guard Tensor.needsGraph(qkv) else { return out }
    let sq = qkv.detached()
    return out.recorded("causalSelfAttention", inputs: [qkv]) { g, inputs in
        guard let dq = inputs[0]?.gradBuffer() else { return }
        AttentionKernel.backward(dqkv: dq.data, dout: g.data, qkv: sq.data, att: att.data,
                                 B: B, T: T, C: C, heads: heads, precision: precision, dropout: drop)
    }
}

/// Inference attention with a KV cache (forward only; records nothing). qkv [B, Tn, 3C] for the new
/// positions past..<past+Tn; `keys`/`values` [B, H, capacity, hs] receive the new keys and values and
/// hold those of positions 0..<past. `firstValid[b]` (default 0) is the first position of row b that
/// is not left padding. Returns [B, Tn, C]. See `CachedAttentionKernel`.
public func cachedCausalSelfAttention(_ qkv: Tensor, heads: Int, keys: Tensor, values: Tensor, past: Int,
                                      firstValid: [Int32]? = nil) -> Tensor {
    precondition(qkv.rank == 3 && qkv.shape[2] % 3 == 0, "cachedCausalSelfAttention: qkv must be [B, T, 3C], got \(qkv.shape)")
    let B = qkv.shape[0], Tn = qkv.shape[1], C = qkv.shape[2] / 3
    precondition(heads > 0 && C % heads == 0, "cachedCausalSelfAttention: \(C) channels do not split into \(heads) heads")
    precondition(keys.rank == 4 && keys.shape[0] == B && keys.shape[1] == heads && keys.shape[3] == C / heads,
                 "cachedCausalSelfAttention: key cache must be [\(B), \(heads), capacity, \(C / heads)], got \(keys.shape)")
    values.expectShape(keys.shape, "value cache")
    if let firstValid { precondition(firstValid.count == B, "cachedCausalSelfAttention: \(firstValid.count) firstValid for batch \(B)") }
    let out = Tensor(zeros: [B, Tn, C])
    let run = { (fv: UnsafePointer<Int32>?) in
        CachedAttentionKernel.forward(out: out.data, qkv: qkv.data, keyCache: keys.data, valueCache: values.data,
                                      B: B, newTokens: Tn, C: C, heads: heads, capacity: keys.shape[2], past: past, firstValid: fv)
    }
    if let firstValid { firstValid.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
    return out
}
