import Testing
@testable import TensorCore

@Suite struct SoftmaxTests {
    @Test(arguments: [(1, 1), (2, 5), (3, 16), (4, 47)])
    func forwardMatchesReference(rows: Int, cols: Int) {
        var r = TestRandom(UInt64(rows * 100 + cols))
        let x = r.tensor([rows, cols], scale: 5)
        let y = softmax(x)
        #expect(maxRelativeError(y.toArray(), SoftmaxReference.forward(doubles(x), rows: rows, cols: cols)) < 1e-6)
    }

    @Test func hugeLogitsDoNotOverflow() {
        let y = softmax(Tensor(shape: [1, 3], values: [1000, 999, -1000])).toArray()
        #expect(y.allSatisfy { $0.isFinite })
        #expect(abs(y[0] + y[1] + y[2] - 1) < 1e-6)
    }
}
