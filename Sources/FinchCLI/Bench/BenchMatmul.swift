import Foundation
import TensorCore

/// Matrix products at GPT-2 small shapes (batch 8 × T 68 = 544 rows, width 768), each measured through
/// Finch's `matmul(...)` and as a bare oneDNN primitive on the same shape, alternating repetition by
/// repetition so that load from other processes hits both alike.
///
/// Line fields: `gflops` (Finch, median), `baseline_gflops` (bare primitive, median), `ratio` (their
/// quotient), `impl`/`baseline_impl` (oneDNN implementation names), `threads` (OpenMP threads oneDNN
/// uses), `omp_wait_policy` (as set in the environment); in bf16 also `finch_ms` (median time per call)
/// and `convert_ms` (what rounding A and B to bf16 costs on its own), whose share of `finch_ms` is the
/// price of converting fp32 operands on every call.
struct MatmulBench: KernelBenchProducer {
    let name = "matmul"

    struct Shape {
        var m, k, n: Int
        var transA = false, transB = false, batch = 1
        var role: String
    }

    /// C[M×N] = A[M×K]·B[K×N] for every linear layer Y = X·W (X [544×in], W [in×out]), plus its backward
    /// products dX = dY·Wᵀ (transB) and dW = Xᵀ·dY (transA), a square reference and attention's batched ones.
    static let shapes: [Shape] = {
        let rows = 544
        let layers: [(String, Int, Int)] = [("attn.c_attn", 768, 2304), ("attn.c_proj", 768, 768),
                                            ("mlp.c_fc", 768, 3072), ("mlp.c_proj", 3072, 768)]
        var shapes: [Shape] = []
        for (layer, inputs, outputs) in layers {
            shapes.append(Shape(m: rows, k: inputs, n: outputs, role: "\(layer) forward"))
            shapes.append(Shape(m: rows, k: outputs, n: inputs, transB: true, role: "\(layer) dX"))
            shapes.append(Shape(m: inputs, k: rows, n: outputs, transA: true, role: "\(layer) dW"))
        }
        // The output head tied to the token embedding wte [V, C]: logits = X·wteᵀ, dX = dLogits·wte,
        // dwte = dLogitsᵀ·X.
        let (vocab, dim) = (50257, 768)
        shapes.append(Shape(m: rows, k: dim, n: vocab, transB: true, role: "lm_head forward"))
        shapes.append(Shape(m: rows, k: vocab, n: dim, role: "lm_head dX"))
        shapes.append(Shape(m: vocab, k: rows, n: dim, transA: true, role: "lm_head dW"))
        shapes.append(Shape(m: 2048, k: 2048, n: 2048, role: "square"))
        // Attention over batch 8 × 12 heads, T 68, head size 64.
        shapes.append(Shape(m: 68, k: 64, n: 68, transB: true, batch: 96, role: "attention Q·Kᵀ"))
        shapes.append(Shape(m: 68, k: 68, n: 64, batch: 96, role: "attention P·V"))
        // Greedy generation with a KV cache multiplies one row at a time: per-call overhead shows here.
        shapes.append(Shape(m: 1, k: 768, n: 2304, role: "generation attn.c_attn"))
        shapes.append(Shape(m: 1, k: 768, n: 50257, role: "generation lm_head"))
        shapes.append(Shape(m: 16, k: 16, n: 16, role: "tiny (call overhead)"))
        return shapes
    }()

    func run(_ settings: KernelBenchSettings) {
        let threads = DNNLThreading.threadCount
        let waitPolicy = ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] ?? "default"
        for precision in settings.precisions {
            for shape in Self.shapes where settings.filter.map({ shape.role.contains($0) }) ?? true {
                measure(shape, precision: precision, settings: settings, threads: threads, waitPolicy: waitPolicy)
            }
        }
    }

    private func measure(_ s: Shape, precision: Precision, settings: KernelBenchSettings, threads: Int, waitPolicy: String) {
        let bare = DNNLBareMatmul(m: s.m, n: s.n, k: s.k, transA: s.transA, transB: s.transB, batch: s.batch, precision: precision)
        let sizeA = s.batch * s.m * s.k, sizeB = s.batch * s.k * s.n, sizeC = s.batch * s.m * s.n
        var rng = RNG(seed: 2)
        let a = UnsafeMutablePointer<Float>.allocate(capacity: sizeA)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: sizeB)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: sizeC)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<sizeA { a[i] = rng.normal() }
        for i in 0..<sizeB { b[i] = rng.normal() }
        c.initialize(repeating: 0, count: sizeC)
        let finchCall = {
            matmul(a, b, c, m: s.m, n: s.n, k: s.k, transA: s.transA, transB: s.transB, batch: s.batch, precision: precision)
        }
        finchCall()
        bare.run()
        var finchTimes: [Double] = [], bareTimes: [Double] = []
        for _ in 0..<settings.repetitions {
            finchTimes += BenchTiming.secondsPerCall(repetitions: 1, minTime: settings.minTime, warmUp: false, finchCall)
            bareTimes += BenchTiming.secondsPerCall(repetitions: 1, minTime: settings.minTime, warmUp: false, bare.run)
        }
        let flops = 2.0 * Double(s.batch) * Double(s.m) * Double(s.k) * Double(s.n)
        let gflops = flops / BenchTiming.median(finchTimes) * 1e-9
        let baseline = flops / BenchTiming.median(bareTimes) * 1e-9
        var fields: [(String, BenchValue)] = [
            ("bench", "matmul"), ("precision", .string(precision.rawValue)),
            ("m", .int(s.m)), ("k", .int(s.k)), ("n", .int(s.n)),
            ("transA", .bool(s.transA)), ("transB", .bool(s.transB)), ("batch", .int(s.batch)), ("role", .string(s.role)),
            ("gflops", .number(gflops, digits: 1)), ("baseline_gflops", .number(baseline, digits: 1)),
            ("ratio", .number(gflops / baseline, digits: 3)),
        ]
        if precision == .bf16 {
            // What rounding both operands to bf16 costs on its own (plain layout, oneDNN reorder).
            let staging = UnsafeMutablePointer<UInt16>.allocate(capacity: max(sizeA, sizeB))
            defer { staging.deallocate() }
            let convert = BenchTiming.median(BenchTiming.secondsPerCall(repetitions: settings.repetitions, minTime: settings.minTime / 4) {
                BFloat16.convert(a, to: staging, count: sizeA)
                BFloat16.convert(b, to: staging, count: sizeB)
            })
            fields.append(("convert_ms", .number(convert * 1e3, digits: 3)))
            fields.append(("finch_ms", .number(BenchTiming.median(finchTimes) * 1e3, digits: 3)))
        }
        fields += [
            ("impl", .string(matmulImplementation(m: s.m, n: s.n, k: s.k, transA: s.transA, transB: s.transB,
                                                  batch: s.batch, precision: precision))),
            ("baseline_impl", .string(bare.implementation)),
            ("threads", .int(threads)), ("omp_wait_policy", .string(waitPolicy)), ("reps", .int(settings.repetitions)),
        ]
        BenchOutput.emit(fields)
    }
}
