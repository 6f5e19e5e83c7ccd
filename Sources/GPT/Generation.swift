import Foundation
import TensorCore

extension GPTModel {
    /// Continues each prompt, batched, with a key/value cache; returns the new tokens of each prompt, without the
    /// stop token. Prompts of different lengths are left-padded and attention never looks at the padding, so a
    /// prompt's continuation does not depend on what it is batched with.
    ///
    /// When a sequence outgrows the context, the oldest tokens are cropped as chapter 5's `generate` does
    /// (`idx[:, -context_size:]`): the cache is rebuilt from the last `context` tokens each step from then on.
    /// `firstIndex` numbers the prompts for their sampling streams (prompt i samples from fork(firstIndex + i)).
    ///
    /// Prompts (and the window after a crop) run through the model's fp32 weights; each later step, one token per
    /// sequence, through `decodeWeights` — built here in `options.precision` unless the caller passes a snapshot
    /// to share between calls (its precision must match). The head always uses `decodeWeights`.
    public func generate(_ prompts: [[Int]], options: GenerationOptions = GenerationOptions(), firstIndex: Int = 0,
                         decodeWeights: DecodeWeights? = nil,
                         onToken: ((_ row: Int, _ token: Int) -> Void)? = nil) -> [[Int]] {
        precondition(prompts.allSatisfy { !$0.isEmpty }, "every prompt needs at least one token")
        precondition(decodeWeights.map { $0.precision == options.precision } ?? true,
                     "decode weights in \(decodeWeights!.precision) for generation options in \(options.precision)")
        let B = prompts.count, context = config.context
        guard B > 0, options.maxNewTokens > 0 else { return prompts.map { _ in [] } }
        let longest = prompts.map(\.count).max()!
        // Left-pad to a common length; row b's real tokens start at firstValid[b].
        var tokens = prompts.map { [Int](repeating: 0, count: longest - $0.count) + $0 }
        let firstValid = prompts.map { longest - $0.count }
        var rngs = (0..<B).map { RNG(seed: options.seed).fork(UInt64(firstIndex + $0)) }
        var output = [[Int]](repeating: [], count: B)
        var finished = [Bool](repeating: false, count: B)
        let capacity = min(context, longest + options.maxNewTokens)
        let c = config
        let caches = (0..<c.layers).map { _ in
            (Tensor(zeros: [B, c.heads, capacity, c.headDim]), Tensor(zeros: [B, c.heads, capacity, c.headDim]))
        }
        var windowStart = 0  // first position of `tokens` the model sees
        var cached = 0       // positions windowStart..<windowStart+cached are in the caches

        withoutGradients {
            let decode = decodeWeights ?? DecodeWeights(model: self, precision: options.precision)
            for _ in 0..<options.maxNewTokens {
                let length = tokens[0].count
                if length - windowStart > capacity {
                    windowStart = length - capacity
                    cached = 0
                }
                let past = cached, newTokens = length - windowStart - cached
                // Filling an empty cache is the prompt's pass; every later step is a one-token decode step.
                let step = cached > 0 ? decode : nil
                let fv = firstValid.map { Int32(max(0, $0 - windowStart)) }
                let ids = tokens.flatMap { $0[(length - newTokens)...].map { Int32($0) } }
                // Each row counts positions from its first real token, so padding shifts nothing.
                let positions = (0..<B).flatMap { b in (0..<newTokens).map { Int32(max(0, past + $0 - Int(fv[b]))) } }
                var x = add(embedding(weights["wte.weight"], ids: ids, shape: [B, newTokens]),
                            embedding(weights["wpe.weight"], ids: positions, shape: [B, newTokens]))
                for i in 0..<c.layers {
                    x = block(i, x, attention: { qkv in
                        cachedCausalSelfAttention(qkv, heads: c.heads, keys: caches[i].0, values: caches[i].1,
                                                  past: past, firstValid: fv)
                    }, drop: { $0 }, decode: step)
                }
                cached += newTokens
                // Only the last position's logits are needed: [B, 1, C] -> [B, V]
                let last = layerNorm(slice(x, axis: 1, (newTokens - 1)..<newTokens),
                                     weight: weights["ln_f.weight"], bias: weights["ln_f.bias"])
                let logits = decode.logits(reshape(last, [B, c.dim]))
                for b in 0..<B {
                    if finished[b] { tokens[b].append(options.stopToken ?? 0); continue }
                    let next = Sampler.pick(logits.data + b * c.vocab, count: c.vocab, options: options, rng: &rngs[b])
                    tokens[b].append(next)
                    if next == options.stopToken { finished[b] = true; continue }
                    output[b].append(next)
                    onToken?(b, next)
                }
                if finished.allSatisfy({ $0 }) { break }
            }
        }
        return output
    }
}
