import CDNNL
import Foundation

/// Everything that selects a matmul primitive. Two calls with equal keys share one primitive.
struct MatmulKey: Hashable {
    var m, n, k, batch: Int
    var transA, transB, accumulate: Bool
    var precision: Precision
}

/// The oneDNN matmul primitive for one `MatmulKey` and its memory descriptors, built in one place so that
/// Finch's plans and the bare baseline of `finch bench kernels` run exactly the same primitive. The caller
/// owns `primitive` and destroys it.
///
/// B is read in the caller's layout, except where `packsB` holds: then the primitive takes B in the blocked
/// layout it prefers (`weights`), and the caller reorders B into it first (`plainWeights` is the caller's
/// layout). That pays when B is small next to the product, as in the tied head's dW = dLogitsᵀ·X
/// (M = 50257, K = rows, N = 768): 58 ms from a plain B, 34 ms from a packed one, for a 0.05 ms reorder.
struct MatmulPrimitive {
    let primitive: dnnl_primitive_t
    let implementation: String
    let src, weights, dst: dnnl_memory_desc_t
    let plainWeights: dnnl_memory_desc_t

    /// Whether B is packed: bf16 products whose M is over 8 times N and K, so each packed element of B is
    /// reused by many rows. Layer-sized products (M = rows, B a weight) gain about 5% from a packed B, which a
    /// reorder over the whole weight on every call eats up.
    static func packsB(_ key: MatmulKey) -> Bool {
        key.precision == .bf16 && key.batch == 1 && key.m > 8 * max(key.n, key.k)
    }

    init(_ key: MatmulKey) {
        let (m, n, k, batch) = (key.m, key.n, key.k, key.batch)
        // Logical shapes are A[M×K], B[K×N], C[M×N]; a transposed operand is the same logical matrix
        // read with swapped strides. Batched problems add a leading dimension of contiguous matrices.
        let batched = batch > 1
        func dims(_ r: Int, _ c: Int) -> [Int] { batched ? [batch, r, c] : [r, c] }
        func strides(_ r: Int, _ c: Int, transposed: Bool) -> [Int] {
            let s = transposed ? [1, r] : [c, 1]
            return batched ? [r * c] + s : s
        }
        var dst = DNNL.memoryDesc(dims: dims(m, n), strides: strides(m, n, transposed: false), type: dnnl_f32)
        let input = key.precision == .bf16 ? dnnl_bf16 : dnnl_f32
        var src = DNNL.memoryDesc(dims: dims(m, k), strides: strides(m, k, transposed: key.transA), type: input)
        let plainWeights = DNNL.memoryDesc(dims: dims(k, n), strides: strides(k, n, transposed: key.transB), type: input)
        var weights = Self.packsB(key) ? DNNL.memoryDesc(dims: dims(k, n), type: input) : plainWeights

        var op = dnnl_matmul_desc_t()
        DNNL.check(dnnl_matmul_desc_init(&op, &src, &weights, nil, &dst), "describing matmul \(key)")
        var attr: dnnl_primitive_attr_t?
        DNNL.check(dnnl_primitive_attr_create(&attr), "creating attributes")
        defer { dnnl_primitive_attr_destroy(attr) }
        if key.accumulate {
            // C += A·B: the sum post-op adds the previous destination contents (scale 1) in the same pass.
            var ops: dnnl_post_ops_t?
            DNNL.check(dnnl_post_ops_create(&ops), "creating post-ops")
            defer { dnnl_post_ops_destroy(ops) }
            DNNL.check(dnnl_post_ops_append_sum(ops, 1), "adding the sum post-op")
            DNNL.check(dnnl_primitive_attr_set_post_ops(attr, ops), "attaching post-ops")
        }
        var pd: dnnl_primitive_desc_t?
        DNNL.check(dnnl_primitive_desc_create(&pd, &op, attr, DNNL.engine, nil), "creating matmul \(key)")
        defer { dnnl_primitive_desc_destroy(pd) }
        implementation = DNNL.implementationName(pd!)
        weights = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)!.pointee
        var p: dnnl_primitive_t?
        DNNL.check(dnnl_primitive_create(&p, pd), "creating matmul primitive \(key)")
        primitive = p!
        (self.src, self.weights, self.dst, self.plainWeights) = (src, weights, dst, plainWeights)
    }

    /// Whether B goes through a reorder into the primitive's own layout before each product.
    var packedB: Bool {
        var (w, plain) = (weights, plainWeights)
        return dnnl_memory_desc_equal(&w, &plain) == 0
    }
}

/// A ready-to-run matrix product for one `MatmulKey`: the oneDNN matmul primitive and, in bf16, the
/// reorders that round the caller's fp32 operands to bf16 (and pack B where the primitive wants it packed).
///
/// fp32 runs the primitive directly on the caller's memory (transposes and batches are strides, no copy).
/// bf16 rounds each fp32 operand into a bf16 copy with the caller's own layout (a flat element-wise
/// reorder, memory-bound at ~6 bytes per element), then runs the primitive exactly as on bf16 data.
/// Packing B into the primitive's blocked layout is done only where B is small next to the product
/// (`MatmulPrimitive.packsB`): for layer-sized products it was measured slower, on AMX because reorders
/// that also transpose (dX = dY·Wᵀ) ran at a third of the flat conversion's speed, on AVX512-BF16 because
/// the 5% it gains costs a reorder over the whole weight on every call.
final class MatmulPlan: @unchecked Sendable {
    let key: MatmulKey
    private let primitive: dnnl_primitive_t
    private let srcDesc, weightsDesc, dstDesc: UnsafeMutablePointer<dnnl_memory_desc_t>
    /// fp32 → bf16 for A, and for B (into the packed layout where B is packed).
    private let toBF16A, toBF16B: DNNLReorder?
    /// Packs a B that is already bf16 (nil when B is not packed).
    private let packBF16B: DNNLReorder?
    /// Bytes of the bf16 copies of A and B (0 in fp32).
    let bf16BytesA, bf16BytesB: Int
    /// oneDNN's implementation name, e.g. `brg:avx512_core` or `brg:avx512_core_amx_bf16`.
    let implementation: String
    /// Whether B is packed into the primitive's layout before each product.
    var packedB: Bool { packBF16B != nil }

    init(_ key: MatmulKey) {
        self.key = key
        let (m, n, k, batch) = (key.m, key.n, key.k, key.batch)
        let made = MatmulPrimitive(key)
        (primitive, implementation) = (made.primitive, made.implementation)
        if key.precision == .bf16 {
            // Operands are dense, so a conversion that keeps the layout is a flat reorder over all elements.
            func flat(_ count: Int) -> DNNLReorder {
                DNNLReorder(from: DNNL.memoryDesc(dims: [count], strides: [1], type: dnnl_f32),
                            to: DNNL.memoryDesc(dims: [count], strides: [1], type: dnnl_bf16))
            }
            toBF16A = flat(batch * m * k)
            bf16BytesA = 2 * batch * m * k
            if made.packedB {
                var fp32Plain = made.plainWeights
                fp32Plain.data_type = dnnl_f32
                toBF16B = DNNLReorder(from: fp32Plain, to: made.weights)
                packBF16B = DNNLReorder(from: made.plainWeights, to: made.weights)
                var packed = made.weights
                bf16BytesB = dnnl_memory_desc_get_size(&packed)
            } else {
                toBF16B = flat(batch * k * n)
                packBF16B = nil
                bf16BytesB = 2 * batch * k * n
            }
        } else {
            (toBF16A, toBF16B, packBF16B) = (nil, nil, nil)
            (bf16BytesA, bf16BytesB) = (0, 0)
        }
        srcDesc = DNNL.pinned(made.src)
        weightsDesc = DNNL.pinned(made.weights)
        dstDesc = DNNL.pinned(made.dst)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        srcDesc.deallocate()
        weightsDesc.deallocate()
        dstDesc.deallocate()
    }

    /// C (+)= op(A)·op(B) on the caller's memory; returns when C is written. Safe to call concurrently.
    /// In bf16, fp32 operands are rounded into scratch copies; operands already in bf16 are used as they
    /// are, except that a B the primitive wants packed is packed into a scratch copy.
    func run(_ a: MatmulOperand, _ b: MatmulOperand, _ c: UnsafeMutablePointer<Float>) {
        guard let toBF16A, let toBF16B else {
            guard case .fp32(let pa) = a, case .fp32(let pb) = b else { preconditionFailure("bf16 operand in the fp32 product \(key)") }
            DNNL.withStream { execute(src: UnsafeMutableRawPointer(mutating: pa), weights: UnsafeMutableRawPointer(mutating: pb), dst: c, stream: $0) }
            return
        }
        // The bf16 copies live only for this call: the caller's fp32 data may change before the next one
        // (weights after every optimizer step), and pointer identity says nothing about content. Their
        // memory is recycled by `TensorMemory` (a fresh 77 MB copy of the head per call would page-fault).
        var scratch: [(pointer: UnsafeMutableRawPointer, blockBytes: Int)] = []
        defer { for s in scratch { TensorMemory.free(s.pointer, blockBytes: s.blockBytes) } }
        DNNL.withStream { stream in
            func copy(_ source: UnsafeRawPointer, _ reorder: DNNLReorder, bytes: Int) -> UnsafeMutableRawPointer {
                let memory = TensorMemory.allocate(bytes: bytes, zeroed: false)
                scratch.append(memory)
                reorder.execute(from: UnsafeMutableRawPointer(mutating: source), to: memory.pointer, stream: stream)
                return memory.pointer
            }
            let src: UnsafeMutableRawPointer, weights: UnsafeMutableRawPointer
            switch a {
            case .bf16(let p): src = UnsafeMutableRawPointer(mutating: p)
            case .fp32(let p): src = copy(p, toBF16A, bytes: bf16BytesA)
            }
            switch b {
            case .bf16(let p): weights = packBF16B.map { copy(p, $0, bytes: bf16BytesB) } ?? UnsafeMutableRawPointer(mutating: p)
            case .fp32(let p): weights = copy(p, toBF16B, bytes: bf16BytesB)
            }
            execute(src: src, weights: weights, dst: c, stream: stream)
        }
    }

    private func execute(src: UnsafeMutableRawPointer, weights: UnsafeMutableRawPointer,
                         dst: UnsafeMutablePointer<Float>, stream: dnnl_stream_t) {
        let ms = DNNL.memory(srcDesc, src), mw = DNNL.memory(weightsDesc, weights), md = DNNL.memory(dstDesc, dst)
        defer { dnnl_memory_destroy(ms); dnnl_memory_destroy(mw); dnnl_memory_destroy(md) }
        let args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: ms),
                    dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: mw),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: md)]
        DNNL.check(dnnl_primitive_execute(primitive, stream, Int32(args.count), args), "executing matmul \(key)")
        DNNL.check(dnnl_stream_wait(stream), "waiting for matmul \(key)")
    }
}

/// The process-wide plan cache. Creating a primitive costs from tens of microseconds (oneDNN's own
/// primitive cache hit) to milliseconds (JIT), executing a cached one a few microseconds.
enum MatmulPlans {
    /// Upper bound on cached plans. Batch-level padding makes M vary from batch to batch, so the set
    /// of shapes is open-ended; past the bound the cache starts over (plans in use stay alive).
    static let capacity = 512
    private static let lock = NSLock()
    nonisolated(unsafe) private static var plans: [MatmulKey: MatmulPlan] = [:]

    static func plan(for key: MatmulKey) -> MatmulPlan {
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[key] { return plan }
        if plans.count >= capacity { plans.removeAll(keepingCapacity: true) }
        let plan = MatmulPlan(key)
        plans[key] = plan
        return plan
    }

    /// Number of cached plans (for tests of the cache).
    static var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return plans.count
    }
}
