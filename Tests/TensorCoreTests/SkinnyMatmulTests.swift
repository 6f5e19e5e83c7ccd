import Testing
@testable import TensorCore

/// The decode kernel against a Double reference. Bound: each output is a sum of K products x·w plus a bias;
/// every product and every addition rounds once in fp32, so the error is within (K + 2)·u·(Σ|x·w| + |b|)
/// (Higham §3.1). With bf16 weights the reference multiplies by the rounded weights, which the kernel reads exactly.
@Suite struct SkinnyMatmulTests {
    static let u = MatmulTests.u

    /// y [M, N] through `DecodeMatrix` built from w [K, N] (`transposing`) or w [N, K] (`rows`).
    static func apply(_ x: [Float], _ w: [Float], bias: [Float]?, m: Int, n: Int, k: Int, transposing: Bool,
                      precision: Precision, threads: Int) -> [Float] {
        let weight = Tensor(shape: transposing ? [k, n] : [n, k], values: w)
        let matrix = transposing ? DecodeMatrix(transposing: weight, precision: precision)
                                 : DecodeMatrix(rows: weight, precision: precision)
        return withoutGradients {
            matrix.apply(Tensor(shape: [m, k], values: x), bias: bias.map { Tensor(shape: [n], values: $0) },
                         threads: threads).toArray()
        }
    }

    @Test(arguments: [Precision.fp32, .bf16])
    func matchesTheReferenceOnOddShapes(precision: Precision) {
        let round: (Float) -> Float = precision == .bf16 ? BFloat16.rounded : { $0 }
        for (m, n, k) in [(1, 1, 1), (1, 67, 15), (3, 130, 16), (4, 5, 33), (5, 131, 100), (8, 64, 17), (9, 200, 48)] {
            let x = normalValues(m * k, seed: 1), w = normalValues(n * k, seed: 2), bias = normalValues(n, seed: 3)
            for transposing in [false, true] {
                // The same logical W [N, K] either way: `transposing` receives it stored [K, N].
                let stored = transposing ? (0..<k * n).map { w[($0 % n) * k + $0 / n] } : w
                for threads in [1, 2] {
                    let y = Self.apply(x, stored, bias: bias, m: m, n: n, k: k, transposing: transposing,
                                       precision: precision, threads: threads)
                    for i in 0..<m {
                        for j in 0..<n {
                            var exact = Double(bias[j]), magnitude = abs(Double(bias[j]))
                            for q in 0..<k {
                                let p = Double(x[i * k + q]) * Double(round(w[j * k + q]))
                                exact += p
                                magnitude += abs(p)
                            }
                            let bound = Double(k + 2) * Self.u * magnitude
                            #expect(abs(Double(y[i * n + j]) - exact) <= bound,
                                    "m=\(m) n=\(n) k=\(k) transposing=\(transposing) threads=\(threads) [\(i), \(j)]")
                        }
                    }
                }
            }
        }
    }

    /// Batched generation relies on it: a row's outputs do not depend on the other rows or the thread count.
    @Test(arguments: [Precision.fp32, .bf16])
    func rowsAreIndependentBitForBit(precision: Precision) {
        let (m, n, k) = (9, 150, 40)
        let x = normalValues(m * k, seed: 4), w = normalValues(n * k, seed: 5)
        let together = Self.apply(x, w, bias: nil, m: m, n: n, k: k, transposing: false, precision: precision, threads: 2)
        for i in 0..<m {
            let alone = Self.apply(Array(x[(i * k)..<((i + 1) * k)]), w, bias: nil, m: 1, n: n, k: k,
                                   transposing: false, precision: precision, threads: 1)
            #expect(Array(together[(i * n)..<((i + 1) * n)]) == alone, "row \(i)")
        }
    }

    /// The bf16 copy rounds as the reference conversion does (to nearest, ties to even).
    @Test func bf16CopyRoundsToNearestEven() {
        let w: [Float] = [1, 1 + 0x1p-8, 1 + 0x1p-7 + 0x1p-8, -3.14159, 65504, 1e-20, -0.0, 1.00390625]
        let matrix = DecodeMatrix(rows: Tensor(shape: [w.count, 1], values: w), precision: .bf16)
        let y = withoutGradients { matrix.apply(Tensor(shape: [1, 1], values: [1]), threads: 1).toArray() }
        #expect(y == w.map(BFloat16.rounded))
    }
}
