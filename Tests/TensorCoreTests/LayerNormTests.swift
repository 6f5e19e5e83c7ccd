import Testing
@testable import TensorCore

@Suite struct LayerNormTests {
    @Test(arguments: [(1, 1), (3, 7), (5, 16), (4, 33), (2, 131)])
    func forwardMatchesReference(rows: Int, cols: Int) {
        var r = TestRandom(UInt64(rows * 1000 + cols))
        let x = r.tensor([rows, cols], scale: 3), w = r.tensor([cols]), b = r.tensor([cols])
        let y = layerNorm(x, weight: w, bias: b)
        let expected = LayerNormReference.forward(doubles(x), weight: doubles(w), bias: doubles(b), rows: rows, cols: cols)
        #expect(maxRelativeError(y.toArray(), expected) < 1e-5)
    }

    @Test func largeOffsetStaysAccurate() {
        // Two-pass variance: a large common offset must not wipe out the small deviations.
        var r = TestRandom(3)
        let values = r.values(64).map { 1000 + $0 }
        let x = Tensor(shape: [1, 64], values: values)
        let y = layerNorm(x, weight: Tensor(shape: [64], repeating: 1), bias: Tensor(zeros: [64]))
        let expected = LayerNormReference.forward(doubles(x), weight: [Double](repeating: 1, count: 64),
                                                  bias: [Double](repeating: 0, count: 64), rows: 1, cols: 64)
        #expect(maxRelativeError(y.toArray(), expected) < 1e-3)
    }
}
