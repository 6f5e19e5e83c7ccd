import Foundation

/// Softmax cross-entropy with PyTorch's `ignore_index = -100`, averaged over the targets that are
/// not ignored.
///
/// Fused: when training, the forward pass writes the softmax probabilities into a buffer the caller
/// keeps instead of the logits, so exp runs once per logit (it is most of this kernel's cost at a
/// 50257-word vocabulary) and backward turns that buffer, in place, into the logits' gradient (one
/// pass, no new [N, V] allocation). Memory is unchanged: the buffer replaces the saved logits. In
/// evaluation no buffer is passed and nothing is kept.
///
/// All targets ignored: loss 0 and gradient 0. PyTorch returns a NaN loss there (0/0) with a zero
/// gradient; Finch returns 0 so that a batch made only of padding cannot turn logged or accumulated
/// losses into NaN. The gradient is the same as PyTorch's.
public enum CrossEntropyKernel {
    public static let ignoreIndex: Int32 = -100

    /// logits [N, V], targets [N] -> losses [N] and logSumExp [N] (both 0 where ignored), and when given,
    /// probabilities [N, V] (softmax of each row; zeros in ignored rows). Returns the mean over
    /// non-ignored rows and how many there were. Each target is -100 or in 0..<V.
    @discardableResult
    public static func forward(losses: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>,
                               probabilities: UnsafeMutablePointer<Float>? = nil,
                               logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                               rows N: Int, vocab V: Int) -> (mean: Float, count: Int) {
        Parallel.forRanges(N, costPerItem: 20 * V, minimumWork: 1) { r in
            let scratch = probabilities == nil ? UnsafeMutablePointer<Float>.allocate(capacity: V) : nil
            defer { scratch?.deallocate() }
            for i in r {
                let x = logits + i * V
                let e = probabilities.map { $0 + i * V } ?? scratch!
                let t = targets[i]
                if t == ignoreIndex {
                    losses[i] = 0
                    logSumExp[i] = 0
                    if probabilities != nil { e.update(repeating: 0, count: V) }
                    continue
                }
                precondition(t >= 0 && Int(t) < V, "cross-entropy target \(t) at row \(i) is outside 0..<\(V)")
                let m = VectorMath.max(x, V)
                for j in 0..<V { e[j] = VectorMath.exp(x[j] - m) }
                let sum = VectorMath.sum(e, V)
                logSumExp[i] = m + Foundation.log(sum)
                losses[i] = logSumExp[i] - x[Int(t)]
                if probabilities != nil {
                    let inv = 1 / sum
                    for j in 0..<V { e[j] *= inv }
                }
            }
        }
        var total = 0.0
        var count = 0
        for i in 0..<N where targets[i] != ignoreIndex {
            total += Double(losses[i])
            count += 1
        }
        return (count == 0 ? 0 : Float(total / Double(count)), count)
    }

    /// In place: probabilities [N, V] from forward become the gradient of the mean loss times dloss,
    /// (probabilities - onehot(target)) · dloss / count, ignored rows all zero (and all rows zero when
    /// count is 0). Lets the op hand the buffer over as the logits' gradient without another [N, V].
    public static func gradientInPlace(probabilities: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>,
                                       dloss: Float, count: Int, rows N: Int, vocab V: Int) {
        let scale = count > 0 ? dloss / Float(count) : 0
        Parallel.forRanges(N, costPerItem: V) { r in
            for i in r {
                let p = probabilities + i * V
                if targets[i] == ignoreIndex || count == 0 { p.update(repeating: 0, count: V); continue }
                for j in 0..<V { p[j] *= scale }
                p[Int(targets[i])] -= scale
            }
        }
    }
}

public enum CrossEntropyReference {
    /// Mean over non-ignored rows of -log softmax(logits)[target]; 0 when every row is ignored.
    public static func forward(_ logits: [Double], targets: [Int32], rows N: Int, vocab V: Int) -> Double {
        var total = 0.0, count = 0
        for i in 0..<N where targets[i] != CrossEntropyKernel.ignoreIndex {
            let row = logits[(i * V)..<((i + 1) * V)]
            let m = row.max()!
            let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
            total += lse - logits[i * V + Int(targets[i])]
            count += 1
        }
        return count == 0 ? 0 : total / Double(count)
    }
}
