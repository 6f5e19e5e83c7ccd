import Foundation

/// Causal multi-head self-attention over the output of GPT-2's c_attn.
///
/// qkv [B, T, 3C] holds q | k | v along the last axis, each split into H heads of hs = C/H.
/// Scores are q·kᵀ/√hs with key j visible to query t iff j ≤ t. That mask alone handles padded
/// batches the way GPT-2 is fine-tuned in chapter 7: padding only follows the real tokens, so real
/// positions never see it, and padded positions' outputs only reach targets that are ignored (-100).
///
/// The two products per direction run through `matmul` on head-major copies ([B, H, T, hs]);
/// the softmax and the layout shuffles are the fused part. Backward needs only qkv and the
/// softmax output att [B, H, T, T].
public enum AttentionKernel {
    /// qkv [B, T, 3C] -> q, k, v [B, H, T, hs] (head-major copies)
    static func split(_ qkv: UnsafePointer<Float>, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                      v: UnsafeMutablePointer<Float>, B: Int, T: Int, C: Int, H: Int) {
        let hs = C / H
        Parallel.forRanges(B * H, costPerItem: 3 * T * hs) { r in
            for bh in r {
                let b = bh / H, h = bh % H
                for t in 0..<T {
                    let src = qkv + (b * T + t) * 3 * C + h * hs
                    let dst = (bh * T + t) * hs
                    (q + dst).update(from: src, count: hs)
                    (k + dst).update(from: src + C, count: hs)
                    (v + dst).update(from: src + 2 * C, count: hs)
                }
            }
        }
    }

    /// y [B, H, T, hs] -> out [B, T, C] (accumulate: +=), at channel offset `offset` of rows of width `width`.
    static func merge(_ y: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, width: Int, offset: Int,
                      B: Int, T: Int, C: Int, H: Int, accumulate: Bool) {
        let hs = C / H
        Parallel.forRanges(B * H, costPerItem: T * hs) { r in
            for bh in r {
                let b = bh / H, h = bh % H
                for t in 0..<T {
                    let dst = out + (b * T + t) * width + offset + h * hs
                    let src = y + (bh * T + t) * hs
                    if accumulate { for d in 0..<hs { dst[d] += src[d] } } else { dst.update(from: src, count: hs) }
                }
            }
        }
    }

    /// qkv [B, T, 3C] -> out [B, T, C], att [B, H, T, T] (softmax output, zeros above the diagonal).
    /// `dropout` (probability, stream) drops attention weights after the softmax, as GPT-2's
    /// attn_pdrop; att keeps the undropped weights and backward regenerates the mask from the stream.
    public static func forward(out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
                               qkv: UnsafePointer<Float>, B: Int, T: Int, C: Int, heads H: Int,
                               precision: Precision = .fp32, dropout: (probability: Float, rng: RNG)? = nil) {
        let hs = C / H, n = B * H * T * hs, nAtt = B * H * T * T
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 4 * n)
        defer { scratch.deallocate() }
        let q = scratch, k = scratch + n, v = scratch + 2 * n, y = scratch + 3 * n
        split(qkv, q: q, k: k, v: v, B: B, T: T, C: C, H: H)
        // att[bh] = q[bh] · k[bh]ᵀ   [T, hs] x [hs, T]
        matmul(q, k, att, m: T, n: T, k: hs, transB: true, batch: B * H, precision: precision)
        let scale = 1 / Float(hs).squareRoot()
        Parallel.forRanges(B * H * T, costPerItem: 20 * T) { r in
            for row in r {
                let t = row % T, a = att + row * T
                for j in 0...t { a[j] *= scale }
                let m = VectorMath.max(a, t + 1)
                for j in 0...t { a[j] = VectorMath.exp(a[j] - m) }
                let s = 1 / VectorMath.sum(a, t + 1)
                for j in 0...t { a[j] *= s }
                for j in (t + 1)..<T { a[j] = 0 }
            }
        }
        // y[bh] = drop(att[bh]) · v[bh]   [T, T] x [T, hs]
        if let dropout {
            let dropped = UnsafeMutablePointer<Float>.allocate(capacity: nAtt)
            defer { dropped.deallocate() }
            DropoutKernel.forward(out: dropped, inp: att, count: nAtt, probability: dropout.probability, rng: dropout.rng)
            matmul(dropped, v, y, m: T, n: hs, k: T, batch: B * H, precision: precision)
        } else {
            matmul(att, v, y, m: T, n: hs, k: T, batch: B * H, precision: precision)
        }
        merge(y, into: out, width: C, offset: 0, B: B, T: T, C: C, H: H, accumulate: false)
    }

    /// dout [B, T, C] -> dqkv [B, T, 3C] +=, given the forward's qkv and att.
    public static func backward(dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                qkv: UnsafePointer<Float>, att: UnsafePointer<Float>,
                                B: Int, T: Int, C: Int, heads H: Int, precision: Precision = .fp32,
                                dropout: (probability: Float, rng: RNG)? = nil) {
        let hs = C / H, n = B * H * T * hs, nAtt = B * H * T * T
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 7 * n + nAtt)
        defer { scratch.deallocate() }
        let q = scratch, k = scratch + n, v = scratch + 2 * n, dy = scratch + 3 * n
        let dq = scratch + 4 * n, dk = scratch + 5 * n, dv = scratch + 6 * n, datt = scratch + 7 * n
        split(qkv, q: q, k: k, v: v, B: B, T: T, C: C, H: H)
        // dout [B, T, C] -> dy [B, H, T, hs]
        Parallel.forRanges(B * H, costPerItem: T * hs) { r in
            for bh in r {
                let b = bh / H, h = bh % H
                for t in 0..<T { (dy + (bh * T + t) * hs).update(from: dout + (b * T + t) * C + h * hs, count: hs) }
            }
        }
        // datt = dy · vᵀ   [T, hs] x [hs, T];   dv = attᵀ · dy   [T, T]ᵀ x [T, hs]
        if let dropout {
            // With dropout the product used drop(att): dv from it, and datt goes back through the mask.
            let work = UnsafeMutablePointer<Float>.allocate(capacity: nAtt)
            defer { work.deallocate() }
            DropoutKernel.forward(out: work, inp: att, count: nAtt, probability: dropout.probability, rng: dropout.rng)
            matmul(work, dy, dv, m: T, n: hs, k: T, transA: true, batch: B * H, precision: precision)
            matmul(dy, v, work, m: T, n: T, k: hs, transB: true, batch: B * H, precision: precision)
            datt.update(repeating: 0, count: nAtt)
            DropoutKernel.backward(dinp: datt, dout: work, count: nAtt, probability: dropout.probability, rng: dropout.rng)
        } else {
            matmul(dy, v, datt, m: T, n: T, k: hs, transB: true, batch: B * H, precision: precision)
            matmul(att, dy, dv, m: T, n: hs, k: T, transA: true, batch: B * H, precision: precision)
        }
        // Softmax backward, with the 1/√hs of the scores folded in: dpre = att·(datt - Σ att·datt)/√hs.
        // Masked entries have att = 0, so they get 0.
        let scale = 1 / Float(hs).squareRoot()
        Parallel.forRanges(B * H * T, costPerItem: 4 * T) { r in
            for row in r {
                let t = row % T, a = att + row * T, d = datt + row * T
                let s = VectorMath.dot(a, d, t + 1)
                for j in 0...t { d[j] = a[j] * (d[j] - s) * scale }
                for j in (t + 1)..<T { d[j] = 0 }
            }
        }
        // dq = dpre · k   [T, T] x [T, hs];   dk = dpreᵀ · q   [T, T]ᵀ x [T, hs]
        matmul(datt, k, dq, m: T, n: hs, k: T, batch: B * H, precision: precision)
        matmul(datt, q, dk, m: T, n: hs, k: T, transA: true, batch: B * H, precision: precision)
        merge(dq, into: dqkv, width: 3 * C, offset: 0, B: B, T: T, C: C, H: H, accumulate: true)
        merge(dk, into: dqkv, width: 3 * C, offset: C, B: B, T: T, C: C, H: H, accumulate: true)
        merge(dv, into: dqkv, width: 3 * C, offset: 2 * C, B: B, T: T, C: C, H: H, accumulate: true)
    }
}

public enum AttentionReference {
    /// qkv [B, T, 3C] -> out [B, T, C], naive loops in Double. `weightScale` [B, H, T, T], when given,
    /// multiplies the softmax weights (a dropout mask already scaled by 1/(1-p)).
    public static func forward(_ qkv: [Double], B: Int, T: Int, C: Int, heads H: Int,
                               weightScale: [Double]? = nil) -> [Double] {
        let hs = C / H
        var out = [Double](repeating: 0, count: B * T * C)
        for b in 0..<B {
            for h in 0..<H {
                for t in 0..<T {
                    let qo = (b * T + t) * 3 * C + h * hs
                    var w = [Double](repeating: 0, count: t + 1)
                    for j in 0...t {
                        let ko = (b * T + j) * 3 * C + C + h * hs
                        var s = 0.0
                        for d in 0..<hs { s += qkv[qo + d] * qkv[ko + d] }
                        w[j] = s / Double(hs).squareRoot()
                    }
                    let m = w.max()!
                    let e = w.map { Foundation.exp($0 - m) }
                    let z = e.reduce(0, +)
                    for j in 0...t {
                        let vo = (b * T + j) * 3 * C + 2 * C + h * hs
                        let w = e[j] / z * (weightScale?[((b * H + h) * T + t) * T + j] ?? 1)
                        for d in 0..<hs { out[(b * T + t) * C + h * hs + d] += w * qkv[vo + d] }
                    }
                }
            }
        }
        return out
    }
}
