import Testing
@testable import TensorCore

/// Seeded random tensors for tests.
struct TestRandom {
    var rng: RNG
    init(_ seed: UInt64) { rng = RNG(seed: seed) }

    mutating func values(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in rng.normal() * scale } }

    mutating func tensor(_ shape: [Int], scale: Float = 1, requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, values: values(shape.reduce(1, *), scale: scale), requiresGrad: requiresGrad)
    }
}

func doubles(_ t: Tensor) -> [Double] { t.toArray().map(Double.init) }

/// Largest |a - b| relative to max(1, |b|), elementwise.
func maxRelativeError(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    var e = 0.0
    for i in a.indices { e = max(e, abs(Double(a[i]) - b[i]) / max(1, abs(b[i]))) }
    return e
}

/// Checks `op` against `reference` (a Double implementation of the same function) and its gradient
/// against central finite differences of the reference in Double.
///
/// The op's output is contracted with random weights w (backward seeded with w), so the checked
/// scalar is L = Σ w·op(inputs); the numeric gradient is (L(x+ε) - L(x-ε)) / 2ε on the reference.
/// Inputs with `requiresGrad` are checked.
func checkGradients(
    _ inputs: [Tensor], seed: UInt64 = 99, forwardTolerance: Double = 1e-4, gradientTolerance: Double = 1e-3,
    epsilon: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation,
    op: ([Tensor]) -> Tensor, reference: ([[Double]]) -> [Double]
) {
    let out = op(inputs)
    let x = inputs.map(doubles)
    let expected = reference(x)
    #expect(maxRelativeError(out.toArray(), expected) <= forwardTolerance, "forward differs from reference",
            sourceLocation: sourceLocation)
    var random = TestRandom(seed)
    let w = random.tensor(out.shape)
    let wd = doubles(w)
    out.backward(gradient: w)
    func loss(_ xs: [[Double]]) -> Double {
        zip(reference(xs), wd).reduce(0) { $0 + $1.0 * $1.1 }
    }
    for (i, input) in inputs.enumerated() where input.requiresGrad {
        guard let grad = input.grad else {
            Issue.record("input \(i) received no gradient", sourceLocation: sourceLocation)
            continue
        }
        var numeric = [Double](repeating: 0, count: input.count)
        var xs = x
        for j in 0..<input.count {
            let v = xs[i][j]
            xs[i][j] = v + epsilon
            let up = loss(xs)
            xs[i][j] = v - epsilon
            let down = loss(xs)
            xs[i][j] = v
            numeric[j] = (up - down) / (2 * epsilon)
        }
        let scale = max(1, numeric.map(abs).max() ?? 0)
        var worst = 0.0
        for j in 0..<input.count { worst = max(worst, abs(Double(grad.data[j]) - numeric[j]) / scale) }
        #expect(worst <= gradientTolerance, "gradient of input \(i) (shape \(input.shape)) off by \(worst)",
                sourceLocation: sourceLocation)
    }
}

/// C = op(A) · op(B) in Double, batched over leading problems; shapes as `referenceMatmul`.
func doubleMatmul(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false,
                  batch: Int = 1) -> [Double] {
    var c = [Double](repeating: 0, count: batch * m * n)
    for p in 0..<batch {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for q in 0..<k {
                    let av = transA ? a[p * m * k + q * m + i] : a[p * m * k + i * k + q]
                    let bv = transB ? b[p * k * n + j * k + q] : b[p * k * n + q * n + j]
                    s += av * bv
                }
                c[p * m * n + i * n + j] = s
            }
        }
    }
    return c
}
