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

    /// The fused MLP projection recomputes gelu(u) in backward; it must give exactly what the two ops give,
    /// in both precisions, also when only some operands want gradients.
    @Test(arguments: Precision.allCases)
    func geluLinearEqualsGELUThenLinearBitForBit(precision: Precision) {
        for (uGrad, wGrad) in [(true, true), (true, false), (false, true)] {
            var r = TestRandom(41)
            let u = r.tensor([5, 7, 12], scale: 2), w = r.tensor([12, 9]), b = r.tensor([9]), dy = r.tensor([5, 7, 9])
            func run(_ fused: Bool) -> (y: [Float], du: [Float]?, dw: [Float]?, db: [Float]) {
                let (uu, ww, bb) = (u.detached(), w.detached(), b.detached())
                (uu.requiresGrad, ww.requiresGrad, bb.requiresGrad) = (uGrad, wGrad, true)
                let y = withPrecision(precision) {
                    let y = fused ? geluLinear(uu, weight: ww, bias: bb) : linear(gelu(uu), weight: ww, bias: bb)
                    y.backward(gradient: dy)
                    return y
                }
                return (y.toArray(), uu.grad?.toArray(), ww.grad?.toArray(), bb.grad!.toArray())
            }
            let (fused, plain) = (run(true), run(false))
            #expect(fused.y == plain.y && fused.db == plain.db)
            #expect(fused.du == plain.du && fused.dw == plain.dw)
            #expect((fused.du != nil) == uGrad && (fused.dw != nil) == wGrad)
        }
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
