import Foundation

/// Global L2-norm gradient clipping as `torch.nn.utils.clip_grad_norm_`: the norm of all gradients seen as
/// one vector (computed as the norm of the per-tensor norms, in Double), then every gradient multiplied
/// by `min(1, maxNorm / (norm + 1e-6))`. Tensors without a gradient are ignored. Returns the norm before
/// clipping; a non-finite norm is returned as is (PyTorch's default `error_if_nonfinite=False`) and then
/// poisons the gradients the same way PyTorch's does, so callers should check it.
@discardableResult
public func clipGradNorm(_ tensors: [Tensor], maxNorm: Double) -> Float {
    let grads = tensors.compactMap(\.grad)
    let total = gradNorm(tensors)
    let coefficient = min(Float(maxNorm) / (total + 1e-6), 1)
    // Multiplying by exactly 1 changes nothing, so the common unclipped step skips a pass over memory.
    if coefficient == 1 { return total }
    for g in grads {
        for i in 0..<g.count { g.data[i] *= coefficient }
    }
    return total
}

/// The global L2 norm of the present gradients, as `clipGradNorm` computes it, without changing them.
public func gradNorm(_ tensors: [Tensor]) -> Float {
    var sumOfSquares = 0.0
    for g in tensors.compactMap(\.grad) {
        // PyTorch rounds each tensor's norm to Float before combining them.
        let norm = Double(Float(squaredSum(g.data, g.count).squareRoot()))
        sumOfSquares += norm * norm
    }
    return Float(sumOfSquares.squareRoot())
}

/// Σx², summed per `GradientChunks` chunk in Double and the chunks added in order, so the result does not
/// depend on the worker count (a GPT-2 small step's norm took 30 ms on one core).
func squaredSum(_ x: UnsafeMutablePointer<Float>, _ count: Int) -> Double {
    var partial = [Double](repeating: 0, count: GradientChunks.count(count))
    partial.withUnsafeMutableBufferPointer { partial in
        GradientChunks.forEach(count) { c, lo, n in partial[c] = squaredSumOfChunk(x + lo, n) }
    }
    return partial.reduce(0, +)
}

/// Σx² with eight Float lanes over blocks of 64 elements (8 terms per lane, so the Float partial sums
/// stay within a few ulps) and the blocks summed in Double; the default x86-64 target does not vectorize
/// a Float→Double loop, which made clipping a 355M-parameter model take as long as an AdamW step.
func squaredSumOfChunk(_ x: UnsafeMutablePointer<Float>, _ count: Int) -> Double {
    typealias V = SIMD8<Float>
    let block = 64
    var total = 0.0
    var i = 0
    while i + block <= count {
        var acc = V()
        for j in stride(from: i, to: i + block, by: V.scalarCount) {
            let v = UnsafeRawPointer(x + j).loadUnaligned(as: V.self)
            acc += v * v
        }
        total += Double(acc.sum())
        i += block
    }
    while i < count { let v = Double(x[i]); total += v * v; i += 1 }
    return total
}

/// Plain Double reference for `squaredSum`.
func squaredSumReference(_ x: UnsafeMutablePointer<Float>, _ count: Int) -> Double {
    var s = 0.0
    for i in 0..<count { let v = Double(x[i]); s += v * v }
    return s
}

/// Multiplies every present gradient by `factor` (averaging accumulated micro-batches, loss scaling).
public func scaleGradients(_ tensors: [Tensor], by factor: Float) {
    for g in tensors.compactMap(\.grad) {
        for i in 0..<g.count { g.data[i] *= factor }
    }
}
