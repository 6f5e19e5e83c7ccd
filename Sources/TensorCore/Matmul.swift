/// Numeric precision of matrix products: bf16 means bf16 inputs, fp32 accumulation and fp32 output.
public enum Precision: String, Codable, Sendable, CaseIterable {
    case fp32, bf16
}

/// The one entry point for matrix products; same contract as `referenceMatmul`.
///
/// Runs oneDNN's matmul primitive, cached per (shapes, transposes, batch, accumulate, precision) and
/// safe to call from several threads. In bf16, A and B are rounded to bf16 (nearest even) by oneDNN
/// reorders on every call — nothing converted is cached, because the caller's fp32 data may change
/// between calls — then multiplied on AMX with fp32 accumulation into the fp32 C.
public func matmul(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false,
    batch: Int = 1, accumulate: Bool = false, precision: Precision = .fp32
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
