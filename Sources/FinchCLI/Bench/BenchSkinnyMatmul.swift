import Foundation
import TensorCore

/// The per-token products of generation (M = 1 or 8 rows against GPT-2 small's weights), as a decode
/// step meets them: every weight matrix cold in memory. Each case cycles through enough distinct copies
/// of its weight to overflow the last-level cache, like the 12 layers + head of a real step.
///
/// Line fields: `finch_gbps`/`finch_ms` for `SkinnyMatmulKernel` with fp32 and with bf16 weights,
/// `onednn_fp32_*` for Finch's oneDNN `matmul` on the same fp32 weights, and `onednn_fp32_kn_*` with them
/// stored [K, N] as GPT-2's Conv1D layers hold them; GB/s count weight bytes read per call.
struct SkinnyMatmulBench: KernelBenchProducer {
    let name = "skinny"

    func run(_ settings: KernelBenchSettings) {
        let threads = DNNLThreading.threadCount
        let shapes: [(role: String, k: Int, n: Int)] = [("attn.c_attn", 768, 2304), ("mlp.c_fc", 768, 3072),
                                                         ("mlp.c_proj", 3072, 768), ("lm_head", 768, 50257)]
        for s in shapes where settings.filter.map({ s.role.contains($0) }) ?? true {
            for m in [1, 8] { measure(role: s.role, m: m, k: s.k, n: s.n, threads: threads, settings: settings) }
        }
    }

    private func measure(role: String, m: Int, k: Int, n: Int, threads: Int, settings: KernelBenchSettings) {
        // ≥ 400 MB of fp32 copies, so no copy is still cached when its turn comes again.
        let copies = max(2, (400 << 20) / (4 * k * n))
        var rng = RNG(seed: 3)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        let w32 = UnsafeMutablePointer<Float>.allocate(capacity: copies * k * n)
        let w16 = UnsafeMutablePointer<BF16Bits>.allocate(capacity: copies * k * n)
        defer { x.deallocate(); y.deallocate(); w32.deallocate(); w16.deallocate() }
        for i in 0..<m * k { x[i] = rng.normal() }
        for i in 0..<copies * k * n { w32[i] = rng.normal() * 0.02 }
        w16.withMemoryRebound(to: UInt16.self, capacity: copies * k * n) { BFloat16.convert(w32, to: $0, count: copies * k * n) }

        func timed(_ call: @escaping (Int) -> Void) -> Double {
            var next = 0
            return BenchTiming.median(BenchTiming.secondsPerCall(repetitions: settings.repetitions, minTime: settings.minTime) {
                call(next)
                next = (next + 1) % copies
            })
        }
        // W stored [N, K] (outputs as rows), as the decode kernel and the tied head read it.
        let fp32 = timed { i in SkinnyMatmulKernel.forward(y, x, w32 + i * k * n, bias: nil, m: m, n: n, k: k, threads: threads) }
        let bf16 = timed { i in SkinnyMatmulKernel.forward(y, x, w16 + i * k * n, bias: nil, m: m, n: n, k: k, threads: threads) }
        let onednn = timed { i in matmul(x, w32 + i * k * n, y, m: m, n: n, k: k, transB: true) }
        // The same product with W stored [K, N], the layout of GPT-2's Conv1D weights.
        let onednnKN = timed { i in matmul(x, w32 + i * k * n, y, m: m, n: n, k: k) }
        let bytes32 = Double(4 * k * n), bytes16 = Double(2 * k * n)
        BenchOutput.emit([
            ("bench", "skinny"), ("role", .string(role)), ("m", .int(m)), ("k", .int(k)), ("n", .int(n)),
            ("finch_fp32_ms", .number(fp32 * 1e3, digits: 3)), ("finch_fp32_gbps", .number(bytes32 / fp32 * 1e-9, digits: 1)),
            ("finch_bf16_ms", .number(bf16 * 1e3, digits: 3)), ("finch_bf16_gbps", .number(bytes16 / bf16 * 1e-9, digits: 1)),
            ("onednn_fp32_ms", .number(onednn * 1e3, digits: 3)), ("onednn_fp32_gbps", .number(bytes32 / onednn * 1e-9, digits: 1)),
            ("onednn_fp32_kn_ms", .number(onednnKN * 1e3, digits: 3)),
            ("onednn_fp32_kn_gbps", .number(bytes32 / onednnKN * 1e-9, digits: 1)),
            ("threads", .int(threads)), ("reps", .int(settings.repetitions)),
        ])
    }
}
