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
    for g in grads {
        for i in 0..<g.count { g.data[i] *= coefficient }
    }
    return total
}

/// The global L2 norm of the present gradients, as `clipGradNorm` computes it, without changing them.
public func gradNorm(_ tensors: [Tensor]) -> Float {
    var sumOfSquares = 0.0
    for g in tensors.compactMap(\.grad) {
        var s = 0.0
        for i in 0..<g.count { let x = Double(g.data[i]); s += x * x }
        // PyTorch rounds each tensor's norm to Float before combining them.
        let norm = Double(Float(s.squareRoot()))
        sumOfSquares += norm * norm
    }
    return Float(sumOfSquares.squareRoot())
}

/// Multiplies every present gradient by `factor` (averaging accumulated micro-batches, loss scaling).
public func scaleGradients(_ tensors: [Tensor], by factor: Float) {
    for g in tensors.compactMap(\.grad) {
        for i in 0..<g.count { g.data[i] *= factor }
    }
}
