import Foundation

/// GELU, tanh approximation (GPT-2's "gelu_new"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
public enum GELUKernel {
    static let k: Float = 0.797_884_560_802_865_4 // √(2/π)
    static let c: Float = 0.044715

    /// inp [n] -> out [n]
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count n: Int) {
        Parallel.forRanges(n, costPerItem: 20) { r in
            for i in r {
                let x = inp[i]
                let t = VectorMath.tanh(k * (x + c * x * x * x))
                out[i] = 0.5 * x * (1 + t)
            }
        }
    }

    /// dout [n] -> dinp [n] += dout · gelu'(inp); recomputes tanh instead of saving it.
    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count n: Int) {
        Parallel.forRanges(n, costPerItem: 25) { r in
            for i in r {
                let x = inp[i]
                let t = VectorMath.tanh(k * (x + c * x * x * x))
                let du = k * (1 + 3 * c * x * x)
                dinp[i] += dout[i] * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
            }
        }
    }
}

public enum GELUReference {
    public static func forward(_ x: [Double]) -> [Double] {
        let k = (2 / Double.pi).squareRoot()
        return x.map { 0.5 * $0 * (1 + Foundation.tanh(k * ($0 + 0.044715 * $0 * $0 * $0))) }
    }
}
