import CDNNL

/// A bare oneDNN matmul primitive with no Finch wrapper: created once over its own buffers, with its
/// memory objects and stream made once, so `run()` is exactly one `dnnl_primitive_execute` and a wait.
/// It is the baseline `finch bench kernels` holds `matmul(...)` against. In bf16 its operands are
/// already bf16 in plain layouts (what a caller who keeps bf16 copies would pass), so the gap to
/// `matmul(..., precision: .bf16)` is the price of rounding fp32 operands on every call.
public final class DNNLBareMatmul {
    public let m, n, k, batch: Int
    public let transA, transB: Bool
    public let precision: Precision
    /// oneDNN's implementation name for this primitive.
    public let implementation: String
    private let primitive: dnnl_primitive_t
    private let stream: dnnl_stream_t
    private let memories: [dnnl_memory_t]
    private let buffers: [UnsafeMutableRawPointer]

    public init(m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false, batch: Int = 1,
                precision: Precision = .fp32, seed: UInt64 = 1) {
        precondition(m > 0 && n > 0 && k > 0 && batch > 0, "DNNLBareMatmul needs positive sizes")
        (self.m, self.n, self.k, self.batch, self.transA, self.transB, self.precision) = (m, n, k, batch, transA, transB, precision)
        let made = MatmulPrimitive(MatmulKey(m: m, n: n, k: k, batch: batch, transA: transA, transB: transB,
                                             accumulate: false, precision: precision))
        (primitive, implementation) = (made.primitive, made.implementation)
        var (src, weights, dst) = (made.src, made.weights, made.dst)
        var s: dnnl_stream_t?
        DNNL.check(dnnl_stream_create(&s, DNNL.engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        stream = s!

        // Random normal operands (zeros would let nothing, and denormals would slow everything).
        var rng = RNG(seed: seed)
        func operand(_ count: Int) -> UnsafeMutableRawPointer {
            let f = UnsafeMutablePointer<Float>.allocate(capacity: count)
            for i in 0..<count { f[i] = rng.normal() }
            guard precision == .bf16 else { return UnsafeMutableRawPointer(f) }
            let h = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
            BFloat16.convert(f, to: h, count: count)
            f.deallocate()
            return UnsafeMutableRawPointer(h)
        }
        // A B the primitive wants packed is packed once here, as a caller keeping packed copies would.
        func packedB() -> UnsafeMutableRawPointer {
            let plain = operand(batch * k * n)
            guard made.packedB else { return plain }
            let packed = UnsafeMutableRawPointer.allocate(byteCount: dnnl_memory_desc_get_size(&weights), alignment: 64)
            DNNLReorder(from: made.plainWeights, to: weights).run(from: plain, to: packed)
            plain.deallocate()
            return packed
        }
        let c = UnsafeMutablePointer<Float>.allocate(capacity: batch * m * n)
        c.initialize(repeating: 0, count: batch * m * n)
        buffers = [operand(batch * m * k), packedB(), UnsafeMutableRawPointer(c)]
        memories = [DNNL.memory(&src, buffers[0]), DNNL.memory(&weights, buffers[1]), DNNL.memory(&dst, buffers[2])]
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_stream_destroy(stream)
        memories.forEach { dnnl_memory_destroy($0) }
        buffers.forEach { $0.deallocate() }
    }

    /// One execution of the primitive, waited for.
    public func run() {
        let args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: memories[0]),
                    dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: memories[1]),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: memories[2])]
        DNNL.check(dnnl_primitive_execute(primitive, stream, Int32(args.count), args), "executing a bare matmul")
        DNNL.check(dnnl_stream_wait(stream), "waiting for a bare matmul")
    }
}

/// Which oneDNN implementation `matmul(...)` uses for a problem (creates and caches its plan).
public func matmulImplementation(m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false,
                                 batch: Int = 1, accumulate: Bool = false, precision: Precision = .fp32) -> String {
    MatmulPlans.plan(for: MatmulKey(m: m, n: n, k: k, batch: batch, transA: transA, transB: transB,
                                    accumulate: accumulate, precision: precision)).implementation
}
