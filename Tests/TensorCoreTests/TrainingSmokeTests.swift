import Testing
@testable import TensorCore

@Suite struct TrainingSmokeTests {
    /// Plain SGD on the tiny GPT must fit its ten targets: the ops compose into a model that learns.
    /// The step size is small enough that the descent is not chaotic: with 0.3 the final loss depended on
    /// last-bit rounding differences between matmul implementations (0.56 vs 1.15); with 0.05 both end near 0.12.
    @Test func sgdDrivesTheLossDown() {
        let model = TinyGPT()
        let first = withoutGradients { model.loss(dropout: 0, rng: RNG(seed: 0)).item }
        for step in 0..<200 {
            model.loss(dropout: 0, rng: RNG(seed: UInt64(step))).backward()
            for p in model.parameters {
                let g = p.grad!
                for i in 0..<p.count { p.data[i] -= 0.05 * g.data[i] }
                p.zeroGrad()
            }
        }
        let last = withoutGradients { model.loss(dropout: 0, rng: RNG(seed: 0)).item }
        #expect(first > 2)
        #expect(last < first * 0.3)
    }
}
