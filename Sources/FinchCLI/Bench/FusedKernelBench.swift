import Foundation
import TensorCore

/// Shapes of one GPT-2 small training micro-batch: batch 8, 68 tokens (chapter 7's typical padded
/// length), 768 channels, 12 heads, GPT-2 vocabulary.
struct FusedKernelBenchShape {
    var batch = 8, tokens = 68, channels = 768, heads = 12, vocab = 50257
    var rows: Int { batch * tokens }
}

/// Times the fused non-matmul kernels (forward and backward separately) at GPT-2 small shapes and
/// returns one JSON line per kernel:
/// `{"bench":"layernorm"|"gelu"|"attention"|"cross_entropy","ms_forward":…,"ms_backward":…}`.
/// Each figure is the median of `repeats` runs after one warm-up run. Attention includes its four
/// batched matrix products (through `matmul`, so it reflects whichever matmul backend is built in).
/// Cross-entropy is timed as training runs it: forward writes the probabilities backward reads.
/// Kernels use `Parallel.threads` workers (1 unless `FINCH_KERNEL_THREADS` says otherwise).
func fusedKernelBenchmarks(repeats: Int, shape s: FusedKernelBenchShape = FusedKernelBenchShape()) -> [String] {
    var random = RNG(seed: 2024)
    func filled(_ n: Int, scale: Float = 1) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
        for i in 0..<n { p[i] = random.normal() * scale }
        return p
    }
    var lines: [String] = []
    func record(_ name: String, forward: () -> Void, backward: () -> Void) {
        let f = medianMilliseconds(repeats: repeats, forward)
        let b = medianMilliseconds(repeats: repeats, backward)
        lines.append(#"{"bench":"\#(name)","ms_forward":\#(rounded(f)),"ms_backward":\#(rounded(b))}"#)
    }

    // layer norm: [N, C]
    do {
        let n = s.rows, c = s.channels
        let x = filled(n * c), w = filled(c), b = filled(c), out = filled(n * c), dout = filled(n * c)
        let dx = filled(n * c), dw = filled(c), db = filled(c), mean = filled(n), rstd = filled(n)
        defer { [x, w, b, out, dout, dx, dw, db, mean, rstd].forEach { $0.deallocate() } }
        record("layernorm", forward: {
            LayerNormKernel.forward(out: out, mean: mean, rstd: rstd, inp: x, weight: w, bias: b, rows: n, cols: c)
        }, backward: {
            LayerNormKernel.backward(dinp: dx, dweight: dw, dbias: db, dout: dout, inp: x, weight: w,
                                     mean: mean, rstd: rstd, rows: n, cols: c)
        })
    }
    // GELU: [N, 4C]
    do {
        let n = s.rows * 4 * s.channels
        let x = filled(n, scale: 2), out = filled(n), dout = filled(n), dx = filled(n)
        defer { [x, out, dout, dx].forEach { $0.deallocate() } }
        record("gelu", forward: { GELUKernel.forward(out: out, inp: x, count: n) },
               backward: { GELUKernel.backward(dinp: dx, inp: x, dout: dout, count: n) })
    }
    // attention: qkv [B, T, 3C] -> [B, T, C]
    do {
        let (b, t, c, h) = (s.batch, s.tokens, s.channels, s.heads)
        let qkv = filled(b * t * 3 * c), out = filled(b * t * c), att = filled(b * h * t * t)
        let dout = filled(b * t * c), dqkv = filled(b * t * 3 * c)
        defer { [qkv, out, att, dout, dqkv].forEach { $0.deallocate() } }
        record("attention", forward: {
            AttentionKernel.forward(out: out, att: att, qkv: qkv, B: b, T: t, C: c, heads: h)
        }, backward: {
            AttentionKernel.backward(dqkv: dqkv, dout: dout, qkv: qkv, att: att, B: b, T: t, C: c, heads: h)
        })
    }
    // cross-entropy: logits [N, V], every 5th target ignored as in a padded batch
    do {
        let n = s.rows, v = s.vocab
        let logits = filled(n * v, scale: 3), dlogits = filled(n * v), losses = filled(n), lse = filled(n)
        let probabilities = filled(n * v)
        var targets = (0..<n).map { Int32(truncatingIfNeeded: $0 * 7919 % v) }
        for i in stride(from: 4, to: n, by: 5) { targets[i] = CrossEntropyKernel.ignoreIndex }
        defer { [logits, dlogits, losses, lse, probabilities].forEach { $0.deallocate() } }
        targets.withUnsafeBufferPointer { tp in
            let t = tp.baseAddress!
            var count = 0
            record("cross_entropy", forward: {
                count = CrossEntropyKernel.forward(losses: losses, logSumExp: lse, probabilities: probabilities,
                                                   logits: logits, targets: t, rows: n, vocab: v).count
            }, backward: {
                CrossEntropyKernel.backward(dlogits: dlogits, probabilities: probabilities, targets: t,
                                            dloss: 1, count: count, rows: n, vocab: v)
            })
        }
    }
    return lines
}

/// Median wall time of `body` in milliseconds over `repeats` runs, after one unmeasured warm-up.
private func medianMilliseconds(repeats: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<max(1, repeats) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    times.sort()
    let mid = times.count / 2
    return times.count % 2 == 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2
}

private func rounded(_ ms: Double) -> String { String(format: "%.3f", ms) }
