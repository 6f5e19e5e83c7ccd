/// Plain triple-loop matrix product in Double, the reference every fast path is tested against.
///
/// For each of `batch` problems: C[M×N] (+)= op(A)[M×K] · op(B)[K×N], where op(A) reads A as stored
/// [K×M] when `transA`, and op(B) reads B as stored [N×K] when `transB`. Batches are contiguous.
public func referenceMatmul(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false,
    batch: Int = 1, accumulate: Bool = false
) {
    for p in 0..<batch {
        let ap = a + p * m * k, bp = b + p * k * n, cp = c + p * m * n
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for q in 0..<k {
                    let av = transA ? ap[q * m + i] : ap[i * k + q]
                    let bv = transB ? bp[j * k + q] : bp[q * n + j]
                    s += Double(av) * Double(bv)
                }
                cp[i * n + j] = accumulate ? cp[i * n + j] + Float(s) : Float(s)
            }
        }
    }
}
