import Testing
import TensorCore
@testable import GPT

@Suite struct GenerationTests {
    static let config = GPTConfig(layers: 2, heads: 4, dim: 32, context: 24, vocab: 97)
    static let prompts = [[5, 17, 3, 88, 41], [9, 2, 60, 60, 1, 7, 33, 12, 80], [44, 45, 46]]

    /// Greedy continuation recomputing the whole (cropped) sequence each step, as chapter 5's generate does.
    static func recompute(_ model: GPTModel, _ prompt: [Int], newTokens: Int) -> [Int] {
        var ids = prompt
        return withoutGradients {
            for _ in 0..<newTokens {
                let window = Array(ids.suffix(model.config.context))
                let logits = model.logits(ids: window.map { Int32($0) }, batch: 1, length: window.count)
                let V = model.config.vocab
                ids.append(Sampler.argmax(logits.data + (window.count - 1) * V, V))
            }
            return Array(ids.dropFirst(prompt.count))
        }
    }

    /// 30 new tokens on a 24-token context: the cache is used, fills, and the window then slides.
    @Test func cachedGenerationEqualsFullRecomputation() throws {
        let model = GPTModel(weights: try HashedWeights.make(Self.config, gain: 20))
        let options = GenerationOptions(maxNewTokens: 30, stopToken: nil)
        // A degenerate model repeating one token would make every comparison below trivially true.
        #expect(Set(model.generate([Self.prompts[1]], options: options)[0]).count > 5)
        for prompt in Self.prompts {
            #expect(model.generate([prompt], options: options)[0] == Self.recompute(model, prompt, newTokens: 30))
        }
    }

    @Test func batchedEqualsOneByOne() throws {
        let model = GPTModel(weights: try HashedWeights.make(Self.config, gain: 20))
        for options in [GenerationOptions(maxNewTokens: 12, stopToken: nil),
                        GenerationOptions(maxNewTokens: 12, temperature: 0.8, topK: 20, seed: 4, stopToken: nil)] {
            let batched = model.generate(Self.prompts, options: options)
            let single = Self.prompts.enumerated().map { model.generate([$1], options: options, firstIndex: $0)[0] }
            #expect(batched == single)
        }
    }

    @Test func stopsAtTheStopTokenPerSequence() throws {
        let model = GPTModel(weights: try HashedWeights.make(Self.config, gain: 20))
        let free = model.generate(Self.prompts, options: GenerationOptions(maxNewTokens: 10, stopToken: nil))
        // Declare each row's 4th generated token the stop token: generation must end right before it, per row.
        let stop = free[1][3]
        let stopped = model.generate(Self.prompts, options: GenerationOptions(maxNewTokens: 10, stopToken: stop))
        for (row, tokens) in free.enumerated() {
            let expected = tokens.firstIndex(of: stop).map { Array(tokens[..<$0]) } ?? tokens
            #expect(stopped[row] == expected)
        }
    }

    @Test func samplingIsSeededAndTopKOneIsGreedy() throws {
        let model = GPTModel(weights: try HashedWeights.make(Self.config, gain: 20))
        let sampled = GenerationOptions(maxNewTokens: 8, temperature: 1.5, topP: 0.9, seed: 11, stopToken: nil)
        #expect(model.generate(Self.prompts, options: sampled) == model.generate(Self.prompts, options: sampled))
        var other = sampled
        other.seed = 12
        #expect(model.generate(Self.prompts, options: sampled) != model.generate(Self.prompts, options: other))
        let greedy = model.generate(Self.prompts, options: GenerationOptions(maxNewTokens: 8, stopToken: nil))
        let topOne = model.generate(Self.prompts, options: GenerationOptions(maxNewTokens: 8, temperature: 2, topK: 1, stopToken: nil))
        #expect(greedy == topOne)
    }

    /// bf16 decode steps read the weights rounded to bf16 and nothing else changes: on a model whose weights
    /// already are bf16 values, bf16 and fp32 generation must agree token for token.
    @Test func bf16StepsEqualFP32OnBF16Weights() throws {
        let weights = try HashedWeights.make(Self.config, gain: 20)
        for (_, t) in weights.named { for i in 0..<t.count { t.data[i] = BFloat16.rounded(t.data[i]) } }
        let model = GPTModel(weights: weights)
        var options = GenerationOptions(maxNewTokens: 30, stopToken: nil)
        let fp32 = model.generate(Self.prompts, options: options)
        options.precision = .bf16
        #expect(model.generate(Self.prompts, options: options) == fp32)
    }

    @Test func bf16BatchedEqualsOneByOneAndSharesASnapshot() throws {
        let model = GPTModel(weights: try HashedWeights.make(Self.config, gain: 20))
        let options = GenerationOptions(maxNewTokens: 12, stopToken: nil, precision: .bf16)
        let snapshot = DecodeWeights(model: model, precision: .bf16)
        let batched = model.generate(Self.prompts, options: options)
        let single = Self.prompts.enumerated().map {
            model.generate([$1], options: options, firstIndex: $0, decodeWeights: snapshot)[0]
        }
        #expect(batched == single)
    }

    /// Decode steps of an adapted model use the merged weights: same projections as the adapters on the fly.
    @Test func decodeWeightsMergeLoRA() throws {
        let model = GPTModel(weights: try HashedWeights.make(Self.config, gain: 20))
        let lora = try LoRA(config: LoRAConfig(rank: 2, alpha: 4), model: Self.config, seed: 3)
        for (_, t) in lora.named { for i in 0..<t.count { t.data[i] = Float(i % 7) * 0.01 - 0.03 } }
        model.attach(lora)
        let decode = DecodeWeights(model: model, precision: .fp32)
        let x = Tensor(shape: [3, Self.config.dim], values: (0..<3 * Self.config.dim).map { Float($0 % 11) * 0.1 - 0.5 })
        for name in ["h.0.attn.c_attn", "h.1.attn.c_proj", "h.0.mlp.c_fc"] {
            let (fast, direct) = withoutGradients { (decode.project(x, name).toArray(), model.project(x, name).toArray()) }
            #expect(zip(fast, direct).map { abs($0 - $1) }.max()! < 1e-4, "\(name)")
        }
    }
}
