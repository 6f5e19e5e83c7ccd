/// Numeric precision of matrix products: bf16 means bf16 inputs, fp32 accumulation and fp32 output.
public enum Precision: String, Codable, Sendable, CaseIterable {
    case fp32, bf16
}

/// The one entry point for matrix products; same contract as `referenceMatmul`.
/// TEMPORARY: forwards to the reference until the oneDNN matmul primitive path replaces this body.
public func matmul(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false,
    batch: Int = 1, accumulate: Bool = false, precision: Precision = .fp32
) {
    referenceMatmul(a, b, c, m: m, n: n, k: k, transA: transA, transB: transB, batch: batch, accumulate: accumulate)
}
