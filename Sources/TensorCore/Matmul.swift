/// Numeric precision of matrix products: bf16 means bf16 inputs, fp32 accumulation and fp32 output.
public enum Precision: String, Codable, Sendable, CaseIterable {
    case fp32, bf16
}

/// A matrix-product input: fp32 values, or values already rounded to bf16 (a `BF16Copy`, for products that
/// reuse one operand, such as a weight in the forward pass and again in the backward pass).
public enum MatmulOperand {
    case fp32(UnsafePointer<Float>)
    case bf16(UnsafePointer<UInt16>)
}

/// The one entry point for matrix products; same contract as `referenceMatmul`.
///
/// Runs oneDNN's matmul primitive, cached per (shapes, transposes, batch, accumulate, precision) and
/// safe to call from several threads. In bf16, A and B are rounded to bf16 (nearest even) by oneDNN
/// reorders on every call — nothing converted is cached, because the caller's fp32 data may change
/// between calls — then multiplied (AMX or AVX512-BF16) with fp32 accumulation into the fp32 C.
public func matmul(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false,
    batch: Int = 1, accumulate: Bool = false, precision: Precision = .fp32
) {
    matmul(.fp32(a), .fp32(b), c, m: m, n: n, k: k, transA: transA, transB: transB, batch: batch,
           accumulate: accumulate, precision: precision)
}

/// The same with operands that may already be bf16 (then `precision` must be bf16).
public func matmul(
    _ a: MatmulOperand, _ b: MatmulOperand, _ c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false,
    batch: Int = 1, accumulate: Bool = false, precision: Precision
) {
    precondition(m >= 0 && n >= 0 && k >= 0 && batch >= 0, "matmul: negative size m=\(m) n=\(n) k=\(k) batch=\(batch)")
    if m == 0 || n == 0 || batch == 0 { return }
    if k == 0 {
        // An empty sum: C = 0, or C unchanged when accumulating (oneDNN rejects zero-sized K).
        if !accumulate { c.update(repeating: 0, count: batch * m * n) }
        return
    }
    let key = MatmulKey(m: m, n: n, k: k, batch: batch, transA: transA, transB: transB,
                        accumulate: accumulate, precision: precision)
    MatmulPlans.plan(for: key).run(a, b, c)
}

/// fp32 values rounded to bf16 once, for an operand that several products read (see `linear`, `matmul`).
/// Copies of 1 MiB and more are recycled by `TensorMemory` like tensors: the tied head's weight and its
/// logits' gradient are rounded every step (77 MB and 53 MB on gpt2-small), and fresh memory for them
/// page-faulted in every time.
public final class BF16Copy: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<UInt16>
    public let count: Int
    /// Size of the `TensorMemory` block holding the copy (0: malloc'd), for giving it back.
    private let blockBytes: Int

    public init(_ source: UnsafePointer<Float>, count: Int) {
        self.count = count
        let memory = TensorMemory.allocate(bytes: max(count, 1) * MemoryLayout<UInt16>.stride, zeroed: false)
        pointer = memory.pointer.bindMemory(to: UInt16.self, capacity: max(count, 1))
        blockBytes = memory.blockBytes
        BFloat16.convert(source, to: pointer, count: count)
    }

    deinit { TensorMemory.free(UnsafeMutableRawPointer(pointer), blockBytes: blockBytes) }

    public var operand: MatmulOperand { .bf16(pointer) }
}
