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
struct MatmulPrimitive {
    let primitive: dnnl_primitive_t
    let implementation: String
    let src, weights, dst: dnnl_memory_desc_t

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
        var weights = DNNL.memoryDesc(dims: dims(k, n), strides: strides(k, n, transposed: key.transB), type: input)

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
        var p: dnnl_primitive_t?
        DNNL.check(dnnl_primitive_create(&p, pd), "creating matmul primitive \(key)")
        primitive = p!
        (self.src, self.weights, self.dst) = (src, weights, dst)
    }
}

/// A ready-to-run matrix product for one `MatmulKey`: the oneDNN matmul primitive and, in bf16, the two
/// reorders that round the caller's fp32 operands to bf16.
///
/// fp32 runs the primitive directly on the caller's memory (transposes and batches are strides, no copy).
/// bf16 rounds each operand into a bf16 copy with the caller's own layout (a flat element-wise reorder,
/// memory-bound at ~6 bytes per element), then runs the primitive exactly as on bf16 data.
/// Letting the primitive pick its blocked AMX layout for B instead (`format_tag_any`, one reorder that
/// rounds and packs) was measured slower: reorders that also transpose (dX = dY·Wᵀ) ran at a third of
/// the flat conversion's speed, and the blocked 50257-wide head was no faster to multiply.
final class MatmulPlan: @unchecked Sendable {
    let key: MatmulKey
    private let primitive: dnnl_primitive_t
    private let srcDesc, weightsDesc, dstDesc: UnsafeMutablePointer<dnnl_memory_desc_t>
    private let toBF16A, toBF16B: DNNLReorder?
    /// Bytes of the bf16 copies of A and B (0 in fp32).
    let bf16BytesA, bf16BytesB: Int
    /// oneDNN's implementation name, e.g. `brg:avx512_core` or `brg:avx512_core_amx_bf16`.
    let implementation: String

    init(_ key: MatmulKey) {
        self.key = key
        let (m, n, k, batch) = (key.m, key.n, key.k, key.batch)
        let made = MatmulPrimitive(key)
        (primitive, implementation) = (made.primitive, made.implementation)
        if key.precision == .bf16 {
            // Operands are dense, so the conversion is a flat reorder over all their elements.
            func flat(_ count: Int) -> DNNLReorder {
                DNNLReorder(from: DNNL.memoryDesc(dims: [count], strides: [1], type: dnnl_f32),
                            to: DNNL.memoryDesc(dims: [count], strides: [1], type: dnnl_bf16))
            }
            toBF16A = flat(batch * m * k)
            toBF16B = flat(batch * k * n)
            bf16BytesA = 2 * batch * m * k
            bf16BytesB = 2 * batch * k * n
        } else {
            toBF16A = nil
            toBF16B = nil
            bf16BytesA = 0
            bf16BytesB = 0
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
    /// In bf16, fp32 operands are rounded into scratch copies; operands already in bf16 are used as they are.
    func run(_ a: MatmulOperand, _ b: MatmulOperand, _ c: UnsafeMutablePointer<Float>) {
        guard let toBF16A, let toBF16B else {
            guard case .fp32(let pa) = a, case .fp32(let pb) = b else { preconditionFailure("bf16 operand in the fp32 product \(key)") }
            DNNL.withStream { execute(src: UnsafeMutableRawPointer(mutating: pa), weights: UnsafeMutableRawPointer(mutating: pb), dst: c, stream: $0) }
            return
        }
        // The bf16 copies live only for this call: the caller's fp32 data may change before the next one
        // (weights after every optimizer step), and pointer identity says nothing about content.
        var scratch: [BF16Scratch.Buffer] = []
        defer { scratch.forEach(BF16Scratch.shared.give) }
        DNNL.withStream { stream in
            func bf16(_ operand: MatmulOperand, _ reorder: DNNLReorder, bytes: Int) -> UnsafeMutableRawPointer {
                switch operand {
                case .bf16(let p): return UnsafeMutableRawPointer(mutating: p)
                case .fp32(let p):
                    let buffer = BF16Scratch.shared.take(bytes: bytes)
                    scratch.append(buffer)
                    reorder.execute(from: UnsafeMutableRawPointer(mutating: p), to: buffer.pointer, stream: stream)
                    return buffer.pointer
                }
            }
            let src = bf16(a, toBF16A, bytes: bf16BytesA), weights = bf16(b, toBF16B, bytes: bf16BytesB)
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

/// Reusable 64-byte-aligned buffers for the bf16 copies of matmul operands. Reuse matters: a fresh
/// 77 MB allocation per call (the 50257-wide output head) would page-fault on every product.
final class BF16Scratch: @unchecked Sendable {
    struct Buffer {
        let pointer: UnsafeMutableRawPointer
        let bytes: Int
    }

    static let shared = BF16Scratch()
    private let lock = NSLock()
    private var free: [Buffer] = []

    /// A buffer of at least `bytes`. When no free buffer is big enough, the largest free one is released
    /// and replaced, so the pool holds at most as many buffers as calls ever ran at once (times two).
    func take(bytes: Int) -> Buffer {
        lock.lock()
        if let i = free.indices.filter({ free[$0].bytes >= bytes }).min(by: { free[$0].bytes < free[$1].bytes }) {
            let buffer = free.remove(at: i)
            lock.unlock()
            return buffer
        }
        let victim = free.indices.max(by: { free[$0].bytes < free[$1].bytes }).map { free.remove(at: $0) }
        lock.unlock()
        victim?.pointer.deallocate()
        return Buffer(pointer: .allocate(byteCount: max(bytes, 64), alignment: 64), bytes: bytes)
    }

    func give(_ buffer: Buffer) {
        lock.lock()
        free.append(buffer)
        lock.unlock()
    }
}
