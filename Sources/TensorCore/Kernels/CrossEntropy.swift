import Foundation

/// Softmax cross-entropy with PyTorch's `ignore_index = -100`, averaged over the targets that are
/// not ignored. Fused: probabilities are never stored; backward recomputes them from the logits and
/// the saved per-row log-sum-exp (a [N, 50257] probability matrix would cost as much as the logits).
///
/// All targets ignored: loss 0 and gradient 0. PyTorch returns a NaN loss there (0/0) with a zero
/// gradient; Finch returns 0 so that a batch made only of padding cannot turn logged or accumulated
/// losses into NaN. The gradient is the same as PyTorch's.
public enum CrossEntropyKernel {
    public static let ignoreIndex: Int32 = -100

    /// logits [N, V], targets [N] -> losses [N] (0 where ignored), logSumExp [N]; returns the mean
    /// over non-ignored rows and how many there were. Each target is -100 or in 0..<V.
    @discardableResult
    public static func forward(losses: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>,
                               logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                               rows N: Int, vocab V: Int) -> (mean: Float, count: Int) {
        Parallel.forRanges(N, costPerItem: 20 * V, minimumWork: 1) { r in
            let e = UnsafeMutablePointer<Float>.allocate(capacity: V)
            defer { e.deallocate() }
            for i in r {
                let x = logits + i * V
                let m = VectorMath.max(x, V)
                for j in 0..<V { e[j] = VectorMath.exp(x[j] - m) }
                let lse = m + Foundation.log(VectorMath.sum(e, V))
                logSumExp[i] = lse
                let t = targets[i]
                if t == ignoreIndex {
                    losses[i] = 0
                } else {
                    precondition(t >= 0 && Int(t) < V, "cross-entropy target \(t) at row \(i) is outside 0..<\(V)")
                    losses[i] = lse - x[Int(t)]
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

    /// dloss (gradient of the mean loss) -> dlogits [N, V] += (softmax - onehot(target)) · dloss / count
    /// for non-ignored rows; ignored rows get nothing.
    public static func backward(dlogits: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>,
                                logSumExp: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                                dloss: Float, count: Int, rows N: Int, vocab V: Int) {
        guard count > 0 else { return }
        let scale = dloss / Float(count)
        Parallel.forRanges(N, costPerItem: 20 * V, minimumWork: 1) { r in
            for i in r where targets[i] != ignoreIndex {
                let x = logits + i * V, dx = dlogits + i * V
                let lse = logSumExp[i]
                for j in 0..<V { dx[j] += VectorMath.exp(x[j] - lse) * scale }
                dx[Int(targets[i])] -= scale
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
