import Foundation

/// Softmax over the last dimension (rows of length C).
public enum SoftmaxKernel {
    /// inp [N, C] -> out [N, C]
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows N: Int, cols C: Int) {
        Parallel.forRanges(N, costPerItem: 20 * C) { r in
            for i in r {
                let x = inp + i * C, y = out + i * C
                let m = VectorMath.max(x, C)
                for j in 0..<C { y[j] = VectorMath.exp(x[j] - m) }
                let s = 1 / VectorMath.sum(y, C)
                for j in 0..<C { y[j] *= s }
            }
        }
    }

    /// dout [N, C], out [N, C] -> dinp [N, C] += out · (dout - Σ_j out·dout)
    public static func backward(dinp: UnsafeMutablePointer<Float>, out: UnsafePointer<Float>, dout: UnsafePointer<Float>,
                                rows N: Int, cols C: Int) {
        Parallel.forRanges(N, costPerItem: 4 * C) { r in
            for i in r {
                let y = out + i * C, dy = dout + i * C, dx = dinp + i * C
                let d = VectorMath.dot(y, dy, C)
                for j in 0..<C { dx[j] += y[j] * (dy[j] - d) }
            }
        }
    }
}

public enum SoftmaxReference {
    public static func forward(_ x: [Double], rows N: Int, cols C: Int) -> [Double] {
        var out = x
        for i in 0..<N {
            let row = x[(i * C)..<((i + 1) * C)]
            let m = row.max()!
            let s = row.reduce(0) { $0 + Foundation.exp($1 - m) }
            for j in 0..<C { out[i * C + j] = Foundation.exp(x[i * C + j] - m) / s }
        }
        return out
    }
}
