import Foundation

/// Inference-time causal attention with a key/value cache (forward only).
///
/// Caches are [B, H, capacity, hs]. The new tokens' keys and values (from qkv [B, Tn, 3C]) are
/// written at positions past..<past+Tn, then query t (absolute position past+t) attends to cached
/// positions firstValid[b]...past+t. `firstValid` supports left-padded prompt batches: positions before
/// it (padding) are never attended to; a query with no visible key (itself padding) outputs zeros.
/// With firstValid all 0 this is exactly `AttentionKernel.forward` restricted to the new positions.
public enum CachedAttentionKernel {
    /// qkv [B, Tn, 3C], caches [B, H, capacity, hs] -> out [B, Tn, C]; caches updated in place.
    public static func forward(out: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
                               keyCache: UnsafeMutablePointer<Float>, valueCache: UnsafeMutablePointer<Float>,
                               B: Int, newTokens Tn: Int, C: Int, heads H: Int, capacity: Int, past: Int,
                               firstValid: UnsafePointer<Int32>?) {
        precondition(past + Tn <= capacity, "KV cache holds \(capacity) positions; \(past) + \(Tn) do not fit")
        let hs = C / H, S = past + Tn
        let scale = 1 / Float(hs).squareRoot()
        Parallel.forRanges(B * H, costPerItem: 4 * Tn * S * hs, minimumWork: 1 << 14) { r in
            let w = UnsafeMutablePointer<Float>.allocate(capacity: S)
            defer { w.deallocate() }
            for bh in r {
                let b = bh / H, h = bh % H
                let kc = keyCache + bh * capacity * hs, vc = valueCache + bh * capacity * hs
                for t in 0..<Tn {
                    let src = qkv + (b * Tn + t) * 3 * C + h * hs
                    (kc + (past + t) * hs).update(from: src + C, count: hs)
                    (vc + (past + t) * hs).update(from: src + 2 * C, count: hs)
                }
                let first = firstValid.map { Int($0[b]) } ?? 0
                for t in 0..<Tn {
                    let q = qkv + (b * Tn + t) * 3 * C + h * hs
                    let o = out + (b * Tn + t) * C + h * hs
                    for d in 0..<hs { o[d] = 0 }
                    let last = past + t
                    guard first <= last else { continue }
                    let n = last - first + 1
                    for j in 0..<n { w[j] = VectorMath.dot(q, kc + (first + j) * hs, hs) * scale }
                    let m = VectorMath.max(w, n)
                    for j in 0..<n { w[j] = VectorMath.exp(w[j] - m) }
                    let z = 1 / VectorMath.sum(w, n)
                    for j in 0..<n {
                        let p = w[j] * z, v = vc + (first + j) * hs
                        for d in 0..<hs { o[d] += p * v[d] }
                    }
                }
            }
        }
    }
}
