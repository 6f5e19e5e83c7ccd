import CDNNL
import Foundation
import TensorCore

/// Shapes of one GPT-2 small training micro-batch: batch 8, 68 tokens (chapter 7's typical padded
/// length), 768 channels, 12 heads, GPT-2 vocabulary.
struct FusedKernelBenchShape {
    var batch = 8, tokens = 68, channels = 768, heads = 12, vocab = 50257
    var rows: Int { batch * tokens }
}

/// `finch bench kernels --only fused`: the fused kernels below, one line per kernel.
struct FusedKernelBench: KernelBenchProducer {
    let name = "fused"

    func run(_ settings: KernelBenchSettings) {
        for line in fusedKernelBenchmarks(repeats: settings.repetitions) {
            // --filter selects kernels by name (layernorm, gelu, attention, cross_entropy).
            if let filter = settings.filter, case .string(let kernel)? = line.first?.1, !kernel.contains(filter) { continue }
            BenchOutput.emit(line)
        }
    }
}

/// `finch bench kernels --only kernel_threads`: `fusedKernelThreadingBenchmarks`.
struct KernelThreadsBench: KernelBenchProducer {
    let name = "kernel_threads"

    func run(_ settings: KernelBenchSettings) {
        fusedKernelThreadingBenchmarks(repeats: settings.repetitions).forEach(BenchOutput.emit)
    }
}

/// Times the fused non-matmul kernels (forward and backward separately) at GPT-2 small shapes and
/// returns one JSON line per kernel:
/// `{"bench":"layernorm"|"gelu"|"attention"|"cross_entropy","ms_forward":…,"ms_backward":…}`.
/// Each figure is the median of `repeats` runs after one warm-up run. Attention includes its four
/// batched matrix products (through `matmul`, so it reflects whichever matmul backend is built in).
/// Cross-entropy is timed as training runs it: forward writes the probabilities, backward turns
/// them into the logits' gradient in place (an untimed forward precedes each timed backward).
/// Kernels use `Parallel.threads` workers (OpenMP's team size unless `FINCH_KERNEL_THREADS` says otherwise).
func fusedKernelBenchmarks(repeats: Int, shape s: FusedKernelBenchShape = FusedKernelBenchShape()) -> [[(String, BenchValue)]] {
    var random = RNG(seed: 2024)
    func filled(_ n: Int, scale: Float = 1) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
        for i in 0..<n { p[i] = random.normal() * scale }
        return p
    }
    var lines: [[(String, BenchValue)]] = []
    func record(_ name: String, forward: () -> Void, beforeBackward: () -> Void = {}, backward: () -> Void) {
        let f = medianMilliseconds(repeats: repeats, forward)
        let b = medianMilliseconds(repeats: repeats, setup: beforeBackward, backward)
        lines.append([("bench", .string(name)), ("ms_forward", .number(f, digits: 3)), ("ms_backward", .number(b, digits: 3))])
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
        let logits = filled(n * v, scale: 3), losses = filled(n), lse = filled(n)
        let probabilities = filled(n * v)
        var targets = (0..<n).map { Int32(truncatingIfNeeded: $0 * 7919 % v) }
        for i in stride(from: 4, to: n, by: 5) { targets[i] = CrossEntropyKernel.ignoreIndex }
        defer { [logits, losses, lse, probabilities].forEach { $0.deallocate() } }
        targets.withUnsafeBufferPointer { tp in
            let t = tp.baseAddress!
            var count = 0
            let forward = {
                count = CrossEntropyKernel.forward(losses: losses, logSumExp: lse, probabilities: probabilities,
                                                   logits: logits, targets: t, rows: n, vocab: v).count
            }
            // Backward consumes forward's probabilities in place, so each timed backward gets a fresh forward.
            record("cross_entropy", forward: forward, beforeBackward: forward, backward: {
                CrossEntropyKernel.gradientInPlace(probabilities: probabilities, targets: t, dloss: 1, count: count,
                                                   rows: n, vocab: v)
            })
        }
    }
    return lines
}

/// The threading interplay behind `Parallel`: a oneDNN sgemm (GNU OpenMP, whose idle workers spin after
/// the region unless `OMP_WAIT_POLICY=passive` was in the environment at start) immediately followed by
/// GELU forward+backward at [544, 3072], as in a training step, on 1 thread, on 2 Dispatch threads and on
/// OpenMP's team of 2. One line per setting:
/// `{"bench":"kernel_threads","threads":…,"backend":"dispatch"|"openmp","omp_wait_policy":"…","ms_sgemm":…,"ms_gelu":…,"ms_total":…}`
/// (medians over `repeats`, after one warm-up).
func fusedKernelThreadingBenchmarks(repeats: Int) -> [[(String, BenchValue)]] {
    let m = 544, n = 3072, k = 768
    var random = RNG(seed: 7)
    let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k), b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n), out = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
    let dx = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
    defer { [a, b, c, out, dx].forEach { $0.deallocate() } }
    for i in 0..<(m * k) { a[i] = random.normal() * 0.05 }
    for i in 0..<(k * n) { b[i] = random.normal() * 0.05 }
    dx.initialize(repeating: 0, count: m * n)
    let policy = ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] ?? "default"
    var lines: [[(String, BenchValue)]] = []
    for (threads, useOpenMP) in [(1, false), (2, false), (2, true)] {
        Parallel.with(threads: threads, useOpenMP: useOpenMP) {
            var gemm: [Double] = [], gelu: [Double] = [], total: [Double] = []
            for i in 0...max(1, repeats) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                // 78 = "N": no transpose.
                _ = dnnl_sgemm(78, 78, Int64(m), Int64(n), Int64(k), 1, a, Int64(k), b, Int64(n), 0, c, Int64(n))
                let t1 = DispatchTime.now().uptimeNanoseconds
                GELUKernel.forward(out: out, inp: c, count: m * n)
                GELUKernel.backward(dinp: dx, inp: c, dout: out, count: m * n)
                let t2 = DispatchTime.now().uptimeNanoseconds
                if i == 0 { continue }
                gemm.append(Double(t1 - t0) / 1e6)
                gelu.append(Double(t2 - t1) / 1e6)
                total.append(Double(t2 - t0) / 1e6)
            }
            lines.append([("bench", "kernel_threads"), ("threads", .int(threads)),
                          ("backend", .string(useOpenMP ? "openmp" : "dispatch")), ("omp_wait_policy", .string(policy)),
                          ("ms_sgemm", .number(median(gemm), digits: 3)), ("ms_gelu", .number(median(gelu), digits: 3)),
                          ("ms_total", .number(median(total), digits: 3))])
        }
    }
    return lines
}

/// Median wall time of `body` in milliseconds over `repeats` runs, after one unmeasured warm-up;
/// `setup` runs untimed before each run.
private func medianMilliseconds(repeats: Int, setup: () -> Void = {}, _ body: () -> Void) -> Double {
    setup()
    body()
    var times: [Double] = []
    for _ in 0..<max(1, repeats) {
        setup()
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return median(times)
}

private func median(_ values: [Double]) -> Double {
    let v = values.sorted()
    let mid = v.count / 2
    return v.count % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}
