import Testing
import TensorCore
@testable import GPT

/// The loss runs on packed positions (`PackedBatch`); it must equal the padded computation it replaces.
@Suite struct PackedBatchTests {
    static let config = GPTConfig(layers: 2, heads: 2, dim: 16, context: 16, vocab: 50)

    /// Rows of very different lengths, one with its prompt masked (ignored targets in the middle), one with no
    /// counted target at all.
    static let batch: TokenBatch = {
        let b = collate([[3, 9, 4], [7, 1, 1, 8, 2, 6, 5, 11, 12], [20, 21, 22, 23, 24, 25], [30, 31]], padId: 49,
                        promptLengths: [1, 1, 4, 1])
        var targets = b.targets
        for t in 0..<b.length { targets[3 * b.length + t] = TokenBatch.ignoreIndex }
        return TokenBatch(rows: b.rows, length: b.length, inputs: b.inputs, targets: targets)
    }()

    @Test func layoutKeepsEachRowUpToItsLastCountedTarget() {
        let packed = PackedBatch(Self.batch)
        let T = Self.batch.length
        #expect(packed.longest == T)
        #expect(packed.count == 3 + 9 + 6)
        let positions: [Int32] = [0, 1, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5]
        #expect(packed.positions == positions)
        #expect(packed.countedTargets == Self.batch.targets.filter { $0 != TokenBatch.ignoreIndex })
        // Every packed token comes back from its own slot of the padded view.
        let roundTrip: [Int32] = packed.packedSlots.map { packed.paddedSlots[Int($0)] }
        #expect(roundTrip == Array(0..<Int32(packed.count)))
    }

    @Test func lossAndEveryGradientEqualThePaddedComputation() throws {
        func run(packed: Bool) throws -> (Float, [[Float]]) {
            let model = GPTModel(weights: try GPTWeights.random(config: Self.config, seed: 5))
            let b = Self.batch
            let loss = packed ? model.loss(b)
                              : crossEntropy(model.logits(ids: b.inputs, batch: b.rows, length: b.length), targets: b.targets)
            loss.backward()
            return (loss.item, model.weights.named.map { $0.1.grad!.toArray() })
        }
        let (packedLoss, packedGrads) = try run(packed: true)
        let (paddedLoss, paddedGrads) = try run(packed: false)
        #expect(abs(packedLoss - paddedLoss) <= 1e-6 * abs(paddedLoss))
        for (name, (g, h)) in zip(Self.config.layoutNames, zip(packedGrads, paddedGrads)) {
            let scale: Float = h.map { abs($0) }.max()! + 1e-12
            let error: Float = zip(g, h).map { abs($0 - $1) }.max()!
            #expect(error <= 1e-5 * scale, "\(name)")
        }
    }
}

extension GPTConfig {
    var layoutNames: [String] { ParameterLayout(config: self).entries.map(\.name) }
}
