import TensorCore

/// How `generate` picks tokens (`generate:` stage options, `finch generate` flags).
public struct GenerationOptions: Codable, Equatable, Sendable {
    /// New tokens per prompt at most (chapter 7: 256).
    public var maxNewTokens: Int = 256
    /// 0 picks the most likely token (greedy, as chapter 7); above 0 samples from softmax(logits / temperature).
    public var temperature: Float = 0
    /// When sampling, keep only the k most likely tokens (nil: all).
    public var topK: Int? = nil
    /// When sampling, keep the smallest set of tokens whose probability reaches p (nil: all).
    public var topP: Float? = nil
    /// Seed of the sampling stream; each prompt draws from its own fork, so batching does not change samples.
    public var seed: UInt64 = 123
    /// Token that ends a sequence (GPT-2's `<|endoftext|>`); nil generates exactly `maxNewTokens`.
    public var stopToken: Int? = 50256
    /// Weights of the per-token decode steps and the head: fp32, or bf16 (rounded once; activations and sums
    /// stay fp32), which halves the bytes each step reads. Prompts always run in fp32.
    public var precision: Precision = .fp32

    public init(maxNewTokens: Int = 256, temperature: Float = 0, topK: Int? = nil, topP: Float? = nil,
                seed: UInt64 = 123, stopToken: Int? = 50256, precision: Precision = .fp32) {
        self.maxNewTokens = maxNewTokens; self.temperature = temperature; self.topK = topK; self.topP = topP
        self.seed = seed; self.stopToken = stopToken; self.precision = precision
    }

    enum CodingKeys: String, CodingKey {
        case maxNewTokens = "max_new_tokens", temperature, topK = "top_k", topP = "top_p", seed, stopToken = "stop_token", precision
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GenerationOptions()
        maxNewTokens = try c.decodeIfPresent(Int.self, forKey: .maxNewTokens) ?? d.maxNewTokens
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        topP = try c.decodeIfPresent(Float.self, forKey: .topP)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        precision = try c.decodeIfPresent(Precision.self, forKey: .precision) ?? d.precision
        stopToken = c.contains(.stopToken) ? try c.decodeNil(forKey: .stopToken) ? nil : c.decode(Int.self, forKey: .stopToken) : d.stopToken
    }

    public func validate() throws {
        guard maxNewTokens >= 0 else { throw GPTError.invalidConfig("max_new_tokens must be ≥ 0, got \(maxNewTokens)") }
        guard temperature >= 0 else { throw GPTError.invalidConfig("temperature must be ≥ 0, got \(temperature)") }
        if let topK, topK <= 0 { throw GPTError.invalidConfig("top_k must be positive, got \(topK)") }
        if let topP, !(topP > 0 && topP <= 1) { throw GPTError.invalidConfig("top_p must be in (0, 1], got \(topP)") }
    }
}
