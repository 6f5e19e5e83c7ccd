import Foundation
import GPT
import Pipeline

/// Configuration of the `generate` stage. Defaults are chapter 7's: the test split, greedy decoding of up to
/// 256 new tokens, stopping at `<|endoftext|>`.
public struct GenerateConfig: StageConfiguration, Equatable {
    /// A `model` artifact.
    public var model: StageRef
    /// A `splits` artifact; the prompts are its records' `prompt` texts.
    public var data: StageRef
    /// A `tokenizer` artifact; its `<|endoftext|>` id stops generation.
    public var tokenizer: StageRef
    /// Which split to answer; default test.
    public var split: SplitChoice
    /// New tokens per prompt at most; default 256.
    public var maxNewTokens: Int
    /// 0 = greedy (default); above 0 samples.
    public var temperature: Double
    /// Sampling only: keep the k most likely tokens; default nil (all).
    public var topK: Int?
    /// Sampling only: nucleus probability; default nil (all).
    public var topP: Double?
    /// Sampling seed; item i samples from its own stream, so batching and resuming change nothing; default 123.
    public var seed: UInt64
    /// Prompts generated together; default 8.
    public var batchSize: Int
    /// Answer only the first N items of the split; default nil (all).
    public var limit: Int?
    /// Weights of the per-token decode steps: fp32 (default) or bf16, which reads half the bytes per token.
    public var precision: PrecisionChoice

    public enum SplitChoice: String, Codable, Sendable, CaseIterable, ConfigChoices {
        case train, test, validation
        var part: Splits.Part { Splits.Part(rawValue: rawValue)! }
    }

    enum CodingKeys: String, CodingKey {
        case model, data, tokenizer, split, maxNewTokens = "max_new_tokens", temperature, topK = "top_k", topP = "top_p"
        case seed, batchSize = "batch_size", limit, precision
    }

    public init(model: StageRef, data: StageRef, tokenizer: StageRef) {
        self.model = model
        self.data = data
        self.tokenizer = tokenizer
        let d = GenerationOptions()
        split = .test
        maxNewTokens = d.maxNewTokens
        temperature = Double(d.temperature)
        topK = nil
        topP = nil
        seed = d.seed
        batchSize = 8
        limit = nil
        precision = .fp32
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(model: try c.decode(StageRef.self, forKey: .model), data: try c.decode(StageRef.self, forKey: .data),
                  tokenizer: try c.decode(StageRef.self, forKey: .tokenizer))
        split = try c.value(.split, default: split)
        maxNewTokens = try c.value(.maxNewTokens, default: maxNewTokens)
        temperature = try c.value(.temperature, default: temperature)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        seed = try c.value(.seed, default: seed)
        batchSize = try c.value(.batchSize, default: batchSize)
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
        precision = try c.value(.precision, default: precision)
    }

    public var references: [StageReference] {
        [StageReference(model, accepts: ["model"]), StageReference(data, accepts: ["splits"]),
         StageReference(tokenizer, accepts: ["tokenizer"])]
    }

    /// The options for `GPTModel.generate`, stopping at `stopToken`.
    func options(stopToken: Int) -> GenerationOptions {
        GenerationOptions(maxNewTokens: maxNewTokens, temperature: Float(temperature), topK: topK, topP: topP.map { Float($0) },
                          seed: seed, stopToken: stopToken, precision: precision.precision)
    }

    public func validate() -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        if maxNewTokens < 0 { issues.append(ConfigIssue(["max_new_tokens"], "must be 0 or more, got \(maxNewTokens)")) }
        if !(temperature >= 0) { issues.append(ConfigIssue(["temperature"], "must be 0 (greedy) or more, got \(temperature)")) }
        if let topK, topK < 1 { issues.append(ConfigIssue(["top_k"], "must be at least 1, got \(topK)")) }
        if let topP, !(topP > 0 && topP <= 1) { issues.append(ConfigIssue(["top_p"], "must be in (0, 1], got \(topP)")) }
        if batchSize < 1 { issues.append(ConfigIssue(["batch_size"], "must be at least 1, got \(batchSize)")) }
        if let limit, limit < 0 { issues.append(ConfigIssue(["limit"], "must be 0 or more, got \(limit)")) }
        return issues
    }
}
