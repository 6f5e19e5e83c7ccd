import Foundation

/// Layer normalisation over the last dimension (GPT-2's ln_1, ln_2, ln_f; eps 1e-5 as PyTorch).
public enum LayerNormKernel {
    public static let epsilon: Float = 1e-5

    /// inp [N, C], weight [C], bias [C] -> out [N, C]; saves mean [N] and rstd [N] for backward.
    /// Two-pass variance (mean first), the numerically safe order.
    public static func forward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows N: Int, cols C: Int) {
        Parallel.forRanges(N, costPerItem: 4 * C) { r in
            for i in r {
                let x = inp + i * C, o = out + i * C
                let m = VectorMath.sum(x, C) / Float(C)
                let v = VectorMath.sumSquaredDeviation(x, C, from: m) / Float(C)
                let s = 1 / (v + epsilon).squareRoot()
                for j in 0..<C { o[j] = (x[j] - m) * s * weight[j] + bias[j] }
                mean[i] = m
                rstd[i] = s
            }
        }
    }

    /// dout [N, C] -> dinp [N, C] +=, dweight [C] +=, dbias [C] += (each optional).
    /// With n = (x - mean)·rstd and g = weight·dout:
    /// dx = rstd · (g - mean(g) - n · mean(g·n)); dweight = Σ_rows dout·n; dbias = Σ_rows dout.
    public static func backward(dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
                                dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows N: Int, cols C: Int) {
        if let dinp {
            Parallel.forRanges(N, costPerItem: 8 * C) { r in
                let g = UnsafeMutablePointer<Float>.allocate(capacity: C)
                let n = UnsafeMutablePointer<Float>.allocate(capacity: C)
                defer { g.deallocate(); n.deallocate() }
                for i in r {
                    let x = inp + i * C, dy = dout + i * C, dx = dinp + i * C
                    let m = mean[i], s = rstd[i]
                    for j in 0..<C {
                        n[j] = (x[j] - m) * s
                        g[j] = weight[j] * dy[j]
                    }
                    let gMean = VectorMath.sum(g, C) / Float(C)
                    let gnMean = VectorMath.dot(g, n, C) / Float(C)
                    for j in 0..<C { dx[j] += s * (g[j] - gMean - n[j] * gnMean) }
                }
            }
        }
        if dweight != nil || dbias != nil {
            // Column split: each parameter gradient sums its rows in order, whatever the thread count.
            Parallel.forRanges(C, costPerItem: 4 * N) { c in
                for i in 0..<N {
                    let x = inp + i * C, dy = dout + i * C
                    let m = mean[i], s = rstd[i]
                    if let dweight { for j in c { dweight[j] += dy[j] * ((x[j] - m) * s) } }
                    if let dbias { for j in c { dbias[j] += dy[j] } }
                }
            }
        }
    }
}

/// Plain Double implementation, the reference for tests and finite differences.
public enum LayerNormReference {
    public static func forward(_ x: [Double], weight: [Double], bias: [Double], rows N: Int, cols C: Int) -> [Double] {
        var out = [Double](repeating: 0, count: N * C)
        for i in 0..<N {
            let row = x[(i * C)..<((i + 1) * C)]
            let m = row.reduce(0, +) / Double(C)
            let v = row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(C)
            let s = 1 / (v + Double(LayerNormKernel.epsilon)).squareRoot()
            for j in 0..<C { out[i * C + j] = (x[i * C + j] - m) * s * weight[j] + bias[j] }
        }
        return out
    }
}
