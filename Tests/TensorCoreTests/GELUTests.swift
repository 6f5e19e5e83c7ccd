import Foundation
import Testing
@testable import TensorCore

@Suite struct GELUTests {
    @Test(arguments: [1, 15, 16, 17, 1001])
    func forwardAndBackwardMatchReference(count: Int) {
        var r = TestRandom(UInt64(count))
        let x = r.tensor([count], scale: 4, requiresGrad: true)
        let y = gelu(x)
        #expect(maxRelativeError(y.toArray(), GELUReference.forward(doubles(x))) < 2e-6)
        y.backward(gradient: Tensor(shape: [count], repeating: 1))
        // Analytic derivative of the tanh approximation, in Double.
        let k = (2 / Double.pi).squareRoot()
        let expected = doubles(x).map { v -> Double in
            let t = Foundation.tanh(k * (v + 0.044715 * v * v * v))
            return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v)
        }
        #expect(maxRelativeError(x.grad!.toArray(), expected) < 2e-6)
    }

    @Test func extremeInputsStayFinite() {
        let x = Tensor(shape: [6], values: [-1e4, -50, -10, 10, 50, 1e4])
        let y = gelu(x).toArray()
        #expect(y.allSatisfy { $0.isFinite })
        #expect(y[3] == 10 && y[5] == 1e4 && y[0] == 0)
    }

    @Test func fastExpIsAccurate() {
        var worst: Double = 0
        for i in -8700...8800 {
            let x = Float(i) / 100
            let rel = abs(Double(VectorMath.exp(x)) - Foundation.exp(Double(x))) / Foundation.exp(Double(x))
            worst = max(worst, rel)
        }
        #expect(worst < 5e-7)
    }
}
