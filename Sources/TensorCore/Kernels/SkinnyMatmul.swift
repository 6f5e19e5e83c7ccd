import CDNNL
import Foundation

/// Element types a decode-time weight matrix can be stored in; loads widen to fp32.
public protocol SkinnyWeightElement {
    /// Eight consecutive elements at `p` as fp32 (unaligned load).
    static func load8(_ p: UnsafePointer<Self>) -> SIMD8<Float>
    static func float(_ x: Self) -> Float
}

extension Float: SkinnyWeightElement {
    @inline(__always) public static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) public static func float(_ x: Float) -> Float { x }
}

/// bf16 bits of a weight: the upper half of an fp32, so widening is a 16-bit shift.
public struct BF16Bits: SkinnyWeightElement, Sendable {
    public var bits: UInt16
    @inline(__always) public static func load8(_ p: UnsafePointer<BF16Bits>) -> SIMD8<Float> {
        let h = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: h) &<< 16, to: SIMD8<Float>.self)
    }
    @inline(__always) public static func float(_ x: BF16Bits) -> Float { BFloat16.float(x.bits) }
    public init(bits: UInt16) { self.bits = bits }
}

/// Products of a few rows with a large weight matrix: y [M, N] = x [M, K] · Wᵀ (+ bias), W stored [N, K]
/// (one output per row), for M up to a few dozen — the per-token steps of generation.
///
/// Why not oneDNN here: at M = 1…8 the product is bound by reading W once (GPT-2 small streams
/// 250–500 MB of weights per token). On GPT-2's [in, out] layout oneDNN's matmul reads fp32 weights at
/// 7–10 GB/s at M = 1; this kernel reaches 16–22 GB/s with fp32 or bf16 weights (`finch bench kernels --only
/// skinny`), widening bf16 on the fly and prefetching the next weight rows itself. Outputs are split over
/// threads and a row's sums never depend on M or on the split, so batched rows equal one-by-one rows bit
/// for bit. Tested against a Double product on the widened weights with a derived bound (SkinnyMatmulTests).
public enum SkinnyMatmulKernel {
    /// y [M, N] = x [M, K] · w [N, K]ᵀ + bias [N] (bias optional), on `threads` threads; fp32 weights.
    public static func forward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, m: Int, n: Int, k: Int, threads: Int) {
        split(y, x, w, bias: bias, M: m, N: n, K: k, threads: threads)
    }

    /// The same with bf16 weights, widened to fp32 as they are read.
    public static func forward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<BF16Bits>,
                               bias: UnsafePointer<Float>?, m: Int, n: Int, k: Int, threads: Int) {
        split(y, x, w, bias: bias, M: m, N: n, K: k, threads: threads)
    }

    // Public entry points are concrete so that the loop is specialised inside this module.
    static func split<W: SkinnyWeightElement>(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<W>,
        bias: UnsafePointer<Float>?, M: Int, N: Int, K: Int, threads: Int
    ) {
        let tasks = max(1, min(threads, N / 64))
        if tasks == 1 { outputs(y, x, w, bias: bias, M: M, N: N, K: K, range: 0..<N); return }
        // On OpenMP's team like the other kernels: Dispatch threads would compete with its spinning workers.
        Parallel.run(tasks: tasks) { t in
            outputs(y, x, w, bias: bias, M: M, N: N, K: K, range: N * t / tasks..<N * (t + 1) / tasks)
        }
    }

    /// Outputs `range` of every row, in blocks of weight rows small enough to stay in L2 while every group of
    /// input rows passes over them (four at a time, then the rest one at a time): W is read from memory once.
    @inline(__always)
    static func outputs<W: SkinnyWeightElement>(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<W>,
        bias: UnsafePointer<Float>?, M: Int, N: Int, K: Int, range: Range<Int>
    ) {
        let block = M < 4 ? range.count : max(4, (128 << 10) / max(1, K * MemoryLayout<W>.stride))
        for b0 in stride(from: range.lowerBound, to: range.upperBound, by: block) {
            let outputs = b0..<min(b0 + block, range.upperBound)
            var r = 0
            while r + 4 <= M {
                rows4(y + r * N, x + r * K, w, bias: bias, N: N, K: K, outputs: outputs)
                r += 4
            }
            while r < M {
                row1(y + r * N, x + r * K, w, bias: bias, K: K, outputs: outputs)
                r += 1
            }
        }
    }

    // Every output is summed the same way by both paths below — one 8-lane accumulator over k in steps of 8,
    // its lanes added in `SIMD8.sum`'s order, then the tail, then the bias — so a row's results do not depend
    // on whether it went through `row1` or `rows4`.

    /// One input row: four weight rows at a time (four independent FMA chains; at M = 1 the kernel waits on
    /// memory, not on FMAs).
    @inline(__always)
    static func row1<W: SkinnyWeightElement>(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<W>,
        bias: UnsafePointer<Float>?, K: Int, outputs: Range<Int>
    ) {
        let k8 = K & ~7
        var n = outputs.lowerBound
        while n < outputs.upperBound {
            let count = min(4, outputs.upperBound - n)
            // A short last group repeats its last row; the repeats are not stored.
            let w0 = w + n * K, w1 = w + (n + min(1, count - 1)) * K
            let w2 = w + (n + min(2, count - 1)) * K, w3 = w + (n + min(3, count - 1)) * K
            // The next group's four rows follow these in memory: fetch the bytes this iteration reads, 4K ahead.
            let ahead = UnsafeRawPointer(w0 + 4 * K)
            let step = 32 * MemoryLayout<W>.stride
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var k = 0
            while k < k8 {
                for line in stride(from: 0, to: step, by: 64) { finch_prefetch(ahead + k / 8 * step + line) }
                let u = Float.load8(x + k)
                a0.addProduct(u, W.load8(w0 + k))
                a1.addProduct(u, W.load8(w1 + k))
                a2.addProduct(u, W.load8(w2 + k))
                a3.addProduct(u, W.load8(w3 + k))
                k += 8
            }
            let sums = SIMD4<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum())
            for i in 0..<count {
                let wi = w + (n + i) * K
                var s = sums[i]
                for kk in k8..<K { s += x[kk] * W.float(wi[kk]) }
                y[n + i] = s + (bias?[n + i] ?? 0)
            }
            n += count
        }
    }

    /// Four input rows against two weight rows at a time: eight accumulators, six loads per eight FMAs.
    @inline(__always)
    static func rows4<W: SkinnyWeightElement>(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<W>,
        bias: UnsafePointer<Float>?, N: Int, K: Int, outputs: Range<Int>
    ) {
        let k8 = K & ~7
        let x0 = x, x1 = x + K, x2 = x + 2 * K, x3 = x + 3 * K
        var n = outputs.lowerBound
        while n < outputs.upperBound {
            let pair = n + 1 < outputs.upperBound
            let wn = w + n * K, wm = pair ? wn + K : wn
            let ahead = UnsafeRawPointer(wn + 4 * K)
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>()
            var k = 0
            while k < k8 {
                finch_prefetch(ahead + 2 * k * MemoryLayout<W>.stride)
                let u = W.load8(wn + k), v = W.load8(wm + k)
                let p0 = Float.load8(x0 + k), p1 = Float.load8(x1 + k), p2 = Float.load8(x2 + k), p3 = Float.load8(x3 + k)
                a0.addProduct(p0, u); b0.addProduct(p0, v)
                a1.addProduct(p1, u); b1.addProduct(p1, v)
                a2.addProduct(p2, u); b2.addProduct(p2, v)
                a3.addProduct(p3, u); b3.addProduct(p3, v)
                k += 8
            }
            let first = SIMD4<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum())
            let second = SIMD4<Float>(b0.sum(), b1.sum(), b2.sum(), b3.sum())
            for i in 0..<4 {
                let xi = x + i * K
                var s = first[i], t = second[i]
                for kk in k8..<K {
                    s += xi[kk] * W.float(wn[kk])
                    t += xi[kk] * W.float(wm[kk])
                }
                y[i * N + n] = s + (bias?[n] ?? 0)
                if pair { y[i * N + n + 1] = t + (bias?[n + 1] ?? 0) }
            }
            n += pair ? 2 : 1
        }
    }
}
