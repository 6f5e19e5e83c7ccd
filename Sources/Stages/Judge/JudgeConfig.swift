import Foundation

/// Configuration of the `judge` stage.
public struct JudgeConfig: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// A local model through Ollama's `POST /api/chat` (chapter 7's evaluation; the default).
        case ollama
        /// Any OpenAI-compatible `POST /v1/chat/completions` server.
        case openai
        /// Normalised exact match against the reference output: 100 or 0.
        case exact
        /// ROUGE-L F1 against the reference output, times 100.
        case rougeL = "rouge-l"

        public var usesModel: Bool { self == .ollama || self == .openai }
    }

    /// Sampling options sent with every request. Defaults are chapter 7's: seed 123, temperature 0,
    /// a 2,048-token context (`num_ctx` is Ollama-only).
    public struct Options: Codable, Equatable, Sendable {
        public var seed: Int
        public var temperature: Double
        public var numCtx: Int

        enum CodingKeys: String, CodingKey {
            case seed, temperature
            case numCtx = "num_ctx"
        }

        public init(seed: Int = 123, temperature: Double = 0, numCtx: Int = 2048) {
            self.seed = seed
            self.temperature = temperature
            self.numCtx = numCtx
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            seed = try c.decodeIfPresent(Int.self, forKey: .seed) ?? 123
            temperature = try c.decodeIfPresent(Double.self, forKey: .temperature) ?? 0
            numCtx = try c.decodeIfPresent(Int.self, forKey: .numCtx) ?? 2048
        }
    }

    /// Default `ollama`.
    public var kind: Kind
    /// Server base URL; default `http://localhost:11434` (ollama) or `https://api.openai.com` (openai).
    public var url: String?
    /// Judge model; default `llama3` for ollama, required for openai.
    public var model: String?
    /// Prompt with `{formatted_input}`, `{instruction}`, `{input}`, `{output}`, `{model_response}` slots;
    /// default chapter 7's (`JudgePrompt.chapter7`).
    public var prompt: String?
    /// Name of the environment variable holding the API key sent as a bearer token (openai); default none,
    /// which suits local OpenAI-compatible servers.
    public var apiKeyEnv: String?
    public var options: Options
    /// Seconds to wait for one reply; default 120.
    public var timeout: Double
    /// Extra attempts after a timeout, a connection error, HTTP 429 or 5xx; default 3.
    public var retries: Int
    /// Seconds before the first retry, doubled for each further one; default 1.
    public var backoff: Double
    /// Extra asks when the reply is not an integer in 0...100; default 2. Then the item is recorded as unparsable.
    public var reaskUnparsable: Int

    enum CodingKeys: String, CodingKey {
        case kind, url, model, prompt, options, timeout, retries, backoff
        case apiKeyEnv = "api_key_env"
        case reaskUnparsable = "reask_unparsable"
    }

    public init(kind: Kind = .ollama, url: String? = nil, model: String? = nil, prompt: String? = nil, apiKeyEnv: String? = nil,
                options: Options = Options(), timeout: Double = 120, retries: Int = 3, backoff: Double = 1, reaskUnparsable: Int = 2) {
        self.kind = kind
        self.url = url
        self.model = model
        self.prompt = prompt
        self.apiKeyEnv = apiKeyEnv
        self.options = options
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.reaskUnparsable = reaskUnparsable
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .ollama
        url = try c.decodeIfPresent(String.self, forKey: .url)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        prompt = try c.decodeIfPresent(String.self, forKey: .prompt)
        apiKeyEnv = try c.decodeIfPresent(String.self, forKey: .apiKeyEnv)
        options = try c.decodeIfPresent(Options.self, forKey: .options) ?? Options()
        timeout = try c.decodeIfPresent(Double.self, forKey: .timeout) ?? 120
        retries = try c.decodeIfPresent(Int.self, forKey: .retries) ?? 3
        backoff = try c.decodeIfPresent(Double.self, forKey: .backoff) ?? 1
        reaskUnparsable = try c.decodeIfPresent(Int.self, forKey: .reaskUnparsable) ?? 2
    }

    public var resolvedURL: String? {
        switch kind {
        case .ollama: return url ?? "http://localhost:11434"
        case .openai: return url ?? "https://api.openai.com"
        case .exact, .rougeL: return nil
        }
    }

    public var resolvedModel: String? {
        switch kind {
        case .ollama: return model ?? "llama3"
        case .openai: return model
        case .exact, .rougeL: return nil
        }
    }

    /// The label reports show: `ollama:llama3`, `openai:gpt-4o-mini`, `exact`, `rouge-l`.
    public var label: String {
        resolvedModel.map { "\(kind.rawValue):\($0)" } ?? kind.rawValue
    }

    /// Static checks: no network, no environment.
    public func validate() throws {
        if kind.usesModel {
            guard let u = resolvedURL, let parsed = URL(string: u), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                  parsed.host != nil else { throw JudgeError.badURL(url ?? "") }
            if kind == .openai, (model ?? "").isEmpty { throw JudgeError.missingModel }
            _ = try JudgePrompt(prompt ?? JudgePrompt.chapter7)
            guard timeout > 0 else { throw JudgeError.badNumber("timeout", timeout) }
            guard retries >= 0 else { throw JudgeError.badNumber("retries", Double(retries)) }
            guard backoff >= 0 else { throw JudgeError.badNumber("backoff", backoff) }
            guard reaskUnparsable >= 0 else { throw JudgeError.badNumber("reask_unparsable", Double(reaskUnparsable)) }
        } else {
            for (key, set) in [("url", url != nil), ("model", model != nil), ("prompt", prompt != nil), ("api_key_env", apiKeyEnv != nil)] where set {
                throw JudgeError.unusedKey(key, kind.rawValue)
            }
        }
    }
}
