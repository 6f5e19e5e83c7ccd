import Testing
@testable import TensorCore

/// In bf16 a product's forward and backward read one rounded copy of each operand (and of the incoming
/// gradient): every result must be the fp32-accumulated product of the bf16-rounded factors. Bound as in
/// MatmulTests: (K + 2)·u·Σ|a·b| for a sum of K products (an extra + |C₀| where a bias or accumulation adds).
@Suite struct BF16GradientTests {
    static let u = MatmulTests.u

    /// Checks c [m, n] against Σ_q a(i, q)·b(q, j) over rounded factors.
    static func check(_ c: [Float], m: Int, n: Int, k: Int, _ what: String,
                      a: (Int, Int) -> Float, b: (Int, Int) -> Float) {
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0, magnitude = 0.0
                for q in 0..<k {
                    let p = Double(BFloat16.rounded(a(i, q))) * Double(BFloat16.rounded(b(q, j)))
                    exact += p
                    magnitude += abs(p)
                }
                #expect(abs(Double(c[i * n + j]) - exact) <= Double(k + 2) * u * magnitude, "\(what) [\(i), \(j)]")
            }
        }
    }

    @Test func linearForwardAndBothGradients() {
        let (rows, inF, outF) = (5, 19, 7)
        let xv = normalValues(rows * inF, seed: 1), wv = normalValues(inF * outF, seed: 2), gv = normalValues(rows * outF, seed: 3)
        let x = Tensor(shape: [rows, inF], values: xv, requiresGrad: true)
        let w = Tensor(shape: [inF, outF], values: wv, requiresGrad: true)
        let y = withPrecision(.bf16) { linear(x, weight: w) }
        // Σ y·g has gradient g: backward then gives dx = g·Wᵀ and dW = xᵀ·g.
        sum(mul(y, Tensor(shape: [rows, outF], values: gv))).backward()
        Self.check(y.toArray(), m: rows, n: outF, k: inF, "y", a: { xv[$0 * inF + $1] }, b: { wv[$0 * outF + $1] })
        Self.check(x.grad!.toArray(), m: rows, n: inF, k: outF, "dx", a: { gv[$0 * outF + $1] }, b: { wv[$1 * outF + $0] })
        Self.check(w.grad!.toArray(), m: inF, n: outF, k: rows, "dW", a: { xv[$1 * inF + $0] }, b: { gv[$0 * outF + $1] })
    }

    /// The tied head's shape of product: a [M, K] · b [N, K]ᵀ.
    @Test func transposedMatmulGradients() {
        let (m, k, n) = (4, 13, 9)
        let av = normalValues(m * k, seed: 4), bv = normalValues(n * k, seed: 5), gv = normalValues(m * n, seed: 6)
        let a = Tensor(shape: [m, k], values: av, requiresGrad: true)
        let b = Tensor(shape: [n, k], values: bv, requiresGrad: true)
        let c = withPrecision(.bf16) { matmul(a, b, transposeB: true) }
        sum(mul(c, Tensor(shape: [m, n], values: gv))).backward()
        Self.check(c.toArray(), m: m, n: n, k: k, "c", a: { av[$0 * k + $1] }, b: { bv[$1 * k + $0] })
        Self.check(a.grad!.toArray(), m: m, n: k, k: n, "da", a: { gv[$0 * n + $1] }, b: { bv[$0 * k + $1] })
        Self.check(b.grad!.toArray(), m: n, n: k, k: m, "db", a: { gv[$1 * n + $0] }, b: { av[$0 * k + $1] })
    }
}
