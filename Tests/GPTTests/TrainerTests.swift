import Foundation
import Testing
import TensorCore
@testable import GPT

@Suite struct TrainerTests {
    static let config = GPTConfig(layers: 2, heads: 2, dim: 16, context: 16, vocab: 30)
    static let batch = collate([[1, 2, 3, 4, 5, 6], [7, 8, 9], [10, 11, 12, 13]], padId: 29)

    static func trainer(dropout: Float = 0, microBatches: Int = 1) throws -> Trainer {
        var c = config
        c.dropout = dropout
        let model = GPTModel(weights: try GPTWeights.random(config: c, seed: 7))
        let opt = AdamW([ParameterGroup(named: model.trainableParameters)], lr: 1e-2, weightDecay: 0.1)
        return try Trainer(model: model, optimizer: opt, accumulator: try GradientAccumulator(microBatches: microBatches))
    }

    @Test func lossFallsOnARepeatedBatch() throws {
        let t = try Self.trainer()
        let first = t.trainStep(Self.batch).loss
        for _ in 0..<20 { _ = t.trainStep(Self.batch) }
        #expect(t.evaluate([Self.batch]) < first * 0.7)
        #expect(abs(first - log(30)) < 0.3, "a fresh model should start near ln(vocab)")
    }

    @Test func evaluationRecordsNoGradientsAndIgnoresDropout() throws {
        let t = try Self.trainer(dropout: 0.5)
        let a = t.evaluate([Self.batch]), b = t.evaluate([Self.batch])
        #expect(a == b)
        #expect(t.model.weights.named.allSatisfy { $0.1.grad == nil })
        // In training, dropout makes the loss depend on the mask stream.
        let trainLoss = t.trainStep(Self.batch).loss
        #expect(trainLoss != a)
    }

    @Test func sameSeedTrainsBitIdentically() throws {
        let runs = try (0..<2).map { _ -> [Float] in
            let t = try Self.trainer(dropout: 0.1, microBatches: 2)
            for _ in 0..<4 { _ = t.trainStep(Self.batch) }
            return t.model.weights["h.1.mlp.c_fc.weight"].toArray()
        }
        #expect(runs[0] == runs[1])
    }

    @Test func bf16StepStaysCloseToFP32() throws {
        let a = try Self.trainer(), b = try Self.trainer()
        b.precision = .bf16
        let la = a.trainStep(Self.batch).loss, lb = b.trainStep(Self.batch).loss
        // bf16 keeps 8 mantissa bits (relative rounding 2^-9 per operand): the loss moves by well under 1%.
        #expect(abs(la - lb) < 0.01 * la)
    }
}
