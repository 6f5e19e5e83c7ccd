/// Mean softmax cross-entropy of logits [..., V] against targets (one per row, `-100` = ignore),
/// averaged over non-ignored targets like PyTorch's `F.cross_entropy(..., ignore_index=-100)`.
/// Returns a tensor of shape []. Every ignored: loss 0 with zero gradient (PyTorch: NaN loss, zero gradient); see
/// `CrossEntropyKernel`. Saves the softmax probabilities [N, V] (not the logits); see `CrossEntropyKernel`.
public func crossEntropy(_ logits: Tensor, targets: [Int32]) -> Tensor {
    let V = logits.shape.last ?? 0, N = logits.count / max(V, 1)
    precondition(targets.count == N, "crossEntropy: \(targets.count) targets for \(N) rows of logits \(logits.shape)")
    let lse = Tensor(zeros: [N])
    let losses = Tensor(zeros: [N])
    let training = Tensor.needsGraph(logits)
    let probabilities = training ? Tensor(uninitialized: [N, V]) : nil
    let logitsShape = logits.shape
    let (mean, count) = targets.withUnsafeBufferPointer { t in
        CrossEntropyKernel.forward(losses: losses.data, logSumExp: lse.data, probabilities: probabilities?.data,
                                   logits: logits.data, targets: t.baseAddress!, rows: N, vocab: V)
    }
    let out = Tensor(shape: [], values: [mean])
    guard let probabilities else { return out }
    return out.recorded("crossEntropy", inputs: [logits]) { g, inputs in
        guard let target = inputs[0] else { return }
        // The probabilities become the logits' gradient in place; no second [N, V] buffer.
        let gradient = Tensor(viewing: probabilities, as: logitsShape)
        targets.withUnsafeBufferPointer { t in
            CrossEntropyKernel.gradientInPlace(probabilities: gradient.data, targets: t.baseAddress!,
                                               dloss: g.data[0], count: count, rows: N, vocab: V)
        }
        target.accumulate(taking: gradient)
    }
}

public func crossEntropy(_ logits: Tensor, targets: [Int]) -> Tensor {
    crossEntropy(logits, targets: targets.map { Int32(truncatingIfNeeded: $0) })
}
