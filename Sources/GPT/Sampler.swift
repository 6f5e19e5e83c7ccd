import TensorCore

/// Picks the next token from one row of logits.
enum Sampler {
    static func pick(_ logits: UnsafePointer<Float>, count V: Int, options: GenerationOptions, rng: inout RNG) -> Int {
        guard options.temperature > 0 else { return argmax(logits, V) }
        // Candidates sorted by logit, most likely first (ties by lower id, so the order is deterministic).
        var order = Array(0..<V)
        order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        if let k = options.topK { order = Array(order.prefix(k)) }
        let top = logits[order[0]]
        var probs = order.map { Double(VectorMath.exp((logits[$0] - top) / options.temperature)) }
        let total = probs.reduce(0, +)
        for i in probs.indices { probs[i] /= total }
        if let p = options.topP {
            var cumulative = 0.0, keep = 0
            while keep < probs.count { cumulative += probs[keep]; keep += 1; if cumulative >= Double(p) { break } }
            probs = Array(probs.prefix(keep))
            let kept = probs.reduce(0, +)
            for i in probs.indices { probs[i] /= kept }
        }
        let u = rng.nextDouble()
        var cumulative = 0.0
        for (i, p) in probs.enumerated() {
            cumulative += p
            if u < cumulative { return order[i] }
        }
        return order[probs.count - 1]
    }

    /// First index of the largest logit (torch.argmax's tie rule).
    static func argmax(_ x: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for i in 1..<n where x[i] > x[best] { best = i }
        return best
    }
}
