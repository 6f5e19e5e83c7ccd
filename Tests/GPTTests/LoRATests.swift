import Foundation
import Testing
import TensorCore
@testable import GPT

@Suite struct LoRATests {
    static let config = GPTConfig(layers: 2, heads: 2, dim: 16, context: 12, vocab: 40)
    static let ids: [Int32] = [1, 5, 9, 3, 7, 2, 8, 8, 30, 11]

    /// Adapters after some training must give the same logits whether applied on the fly or merged into W.
    @Test func mergedAndUnmergedOutputsAgree() throws {
        let model = GPTModel(weights: try GPTWeights.random(config: Self.config, seed: 1))
        let lora = try LoRA(config: LoRAConfig(rank: 4, alpha: 8), model: Self.config, seed: 2)
        model.attach(lora)
        let batch = collate([[1, 5, 9, 3, 7], [2, 8, 8, 30, 11, 4]], padId: 39)
        let optimizer = AdamW([ParameterGroup(named: model.trainableParameters)], lr: 1e-2, weightDecay: 0)
        for _ in 0..<3 {
            optimizer.zeroGrad()
            model.loss(batch).backward()
            optimizer.step()
        }
        let adapted = withoutGradients { model.logits(ids: Self.ids, batch: 2, length: 5).toArray() }
        let merged = GPTModel(weights: try lora.merged(into: model.weights))
        let plain = withoutGradients { merged.logits(ids: Self.ids, batch: 2, length: 5).toArray() }
        let base = GPTModel(weights: try GPTWeights.random(config: Self.config, seed: 1))
        let untouched = withoutGradients { base.logits(ids: Self.ids, batch: 2, length: 5).toArray() }
        let maxDiff = zip(adapted, plain).map { abs($0 - $1) }.max()!
        #expect(maxDiff < 1e-4)
        #expect(zip(adapted, untouched).map { abs($0 - $1) }.max()! > 1e-3, "training the adapters changed nothing")
    }

    @Test func onlyAdaptersTrain() throws {
        let model = GPTModel(weights: try GPTWeights.random(config: Self.config, seed: 1))
        let before = model.weights.named.map { $0.1.toArray() }
        model.attach(try LoRA(config: LoRAConfig(rank: 2, alpha: 2, targets: ["c_attn"]), model: Self.config, seed: 2))
        #expect(model.trainableParameters.count == 2 * Self.config.layers)
        let optimizer = AdamW([ParameterGroup(named: model.trainableParameters)], lr: 1e-2)
        model.loss(collate([[1, 2, 3, 4]], padId: 39)).backward()
        optimizer.step()
        #expect(model.weights.named.allSatisfy { $0.1.grad == nil })
        #expect(model.weights.named.map { $0.1.toArray() } == before)
    }

    @Test func aFreshAdapterChangesNothingAndBadTargetsAreRejected() throws {
        let model = GPTModel(weights: try GPTWeights.random(config: Self.config, seed: 1))
        let plain = withoutGradients { model.logits(ids: Self.ids, batch: 1, length: 10).toArray() }
        model.attach(try LoRA(config: LoRAConfig(), model: Self.config, seed: 9))
        #expect(withoutGradients { model.logits(ids: Self.ids, batch: 1, length: 10).toArray() } == plain)
        #expect(throws: GPTError.self) { try LoRA(config: LoRAConfig(targets: ["q_proj"]), model: Self.config, seed: 1) }
    }
}
