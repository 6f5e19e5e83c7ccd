import Foundation
import GPT
import Pipeline

/// `uses: model` — a GPT-2 checkpoint (Hugging Face layout, written by `Checkpoint.save`).
///
/// - `weights`: a source for `model.safetensors` (`hf://owner/repo` takes the repo's `model.safetensors`;
///   also `hf://owner/repo/file`, https://, file://, a local file, or a local checkpoint folder), pinned by
///   `weights_sha256`. Downloads go to the download cache and resume after an interruption.
/// - `size`: a preset name (`gpt2-small`, `gpt2-medium`, `gpt2-large`, `gpt2-xl`) or a mapping
///   `{layers, heads, dim, context, vocab}` (vocab defaults to 50257, context to 1024). With weights it is
///   checked against them (default: taken from the weights); without weights it is required and the model is
///   initialised from the pipeline seed as Hugging Face's `GPT2LMHeadModel` is.
public struct ModelKind: StageKind {
    public struct Configuration: StageConfiguration {
        public var size: ModelSize?
        public var weights: String?
        public var weightsSHA256: String?

        enum CodingKeys: String, CodingKey {
            case size, weights
            case weightsSHA256 = "weights_sha256"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            size = try c.decodeIfPresent(ModelSize.self, forKey: .size)
            weights = try c.decodeIfPresent(String.self, forKey: .weights)
            weightsSHA256 = try c.decodeIfPresent(String.self, forKey: .weightsSHA256)
        }

        public var references: [StageReference] { [] }

        public func validate() -> [ConfigIssue] {
            var issues = SourceFetching.issues(source: weights, field: "weights") + SourceFetching.issues(sha256: weightsSHA256, field: "weights_sha256")
            if weights == nil && size == nil {
                issues.append(ConfigIssue([], "give `weights:` (a checkpoint to load) or `size:` (a preset name or {layers, heads, dim, context}) for a random initialisation"))
            }
            if weights == nil && weightsSHA256 != nil {
                issues.append(ConfigIssue(["weights_sha256"], "`weights_sha256:` pins `weights:`, which is not given"))
            }
            if let size { issues += size.issues }
            return issues
        }
    }

    public init() {}
    public var name: String { "model" }
    // 2: config.json gives layer_norm_epsilon as a decimal and no GPT-2 end-of-text id for small vocabularies.
    public var version: Int { 2 }
    public var produces: ArtifactType { "model" }
    public var usesSeed: Bool { true }
    public var summary: String { "GPT-2 weights (safetensors) or a seeded random initialisation" }

    public func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let expected = try c.size?.config()
        let weights: GPTWeights
        if let text = c.weights {
            var source = try SourceReference(text, relativeTo: context.pipelineDirectory)
            if case .huggingFaceRepo = source { source = try source.file(Checkpoint.weightsFile) }
            let file = try SourceFetching.file(source, sha256: c.weightsSHA256, context: context, note: "weights")
            try context.checkCancellation()
            context.log("loading \(source)")
            weights = try Checkpoint.load(from: file, expected: expected)
        } else {
            guard let expected else { throw ModelStageError.noSize }
            try expected.validate()
            weights = try GPTWeights.random(config: expected, seed: context.seed)
        }
        try context.checkCancellation()
        try Checkpoint.save(weights, to: context.outputDirectory)
        let cfg = weights.config
        return ["parameters": .number(Double(cfg.parameterCount)), "layers": .number(Double(cfg.layers)),
                "heads": .number(Double(cfg.heads)), "dim": .number(Double(cfg.dim)), "context": .number(Double(cfg.context)),
                "vocab": .number(Double(cfg.vocab)), "initialisation": .string(c.weights == nil ? "random" : "weights")]
    }

    /// Unpinned local weights: the file, or a checkpoint folder's `model.safetensors`; plus the `config.json`
    /// beside them when `size:` is not given (the loader then reads the shape from it).
    public func localSources(_ c: Configuration, pipelineDirectory: URL) -> [LocalSource] {
        guard let weights = SourceFetching.unpinnedLocal(c.weights, sha256: c.weightsSHA256, field: "weights",
                                                         pipelineDirectory: pipelineDirectory) else { return [] }
        let config = c.size == nil ? [Checkpoint.configFile] : []
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: weights.url.path, isDirectory: &isFolder), isFolder.boolValue {
            return [.folder(weights.url, field: "weights", reads: [Checkpoint.weightsFile] + config)]
        }
        return [.file(weights.url, field: "weights", alsoReads: config)]
    }

    public func describe(artifact: URL) -> String? {
        guard let w = try? Checkpoint.load(from: artifact) else { return nil }
        let c = w.config
        return "\(c.presetName ?? "custom") GPT-2: \(c.layers) layers, \(c.heads) heads, dim \(c.dim), context \(c.context), vocab \(c.vocab), \(c.parameterCount) parameters"
    }
}

/// A model size: a preset name, or the shape of a custom model.
public enum ModelSize: Codable, Equatable, Sendable {
    case preset(String)
    case custom(layers: Int, heads: Int, dim: Int, context: Int, vocab: Int)

    enum CodingKeys: String, CodingKey { case layers, heads, dim, context, vocab }

    public init(from decoder: Decoder) throws {
        // The pipeline decoder tells the shape; a JSON decoder (run records) tries a name first.
        let shape = decoder.configValueShape
        if shape == .scalar || shape == nil, let name = try? decoder.singleValueContainer().decode(String.self) {
            self = .preset(name)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = .custom(layers: try c.decode(Int.self, forKey: .layers), heads: try c.decode(Int.self, forKey: .heads),
                       dim: try c.decode(Int.self, forKey: .dim), context: try c.value(.context, default: 1024),
                       vocab: try c.value(.vocab, default: 50257))
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .preset(let name):
            var c = encoder.singleValueContainer()
            try c.encode(name)
        case .custom(let layers, let heads, let dim, let context, let vocab):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(layers, forKey: .layers)
            try c.encode(heads, forKey: .heads)
            try c.encode(dim, forKey: .dim)
            try c.encode(context, forKey: .context)
            try c.encode(vocab, forKey: .vocab)
        }
    }

    public func config() throws -> GPTConfig {
        switch self {
        case .preset(let name): return try GPTConfig.preset(name)
        case .custom(let layers, let heads, let dim, let context, let vocab):
            let c = GPTConfig(layers: layers, heads: heads, dim: dim, context: context, vocab: vocab)
            try c.validate()
            return c
        }
    }

    var issues: [ConfigIssue] {
        switch self {
        case .preset(let name):
            guard GPTConfig.presets[name] == nil else { return [] }
            let names = GPTConfig.presets.keys.sorted()
            return [ConfigIssue(["size"], "unknown model size '\(name)'; presets: \(names.joined(separator: ", ")), or a mapping {layers, heads, dim, context}")]
        case .custom(let layers, let heads, let dim, let context, let vocab):
            var out: [ConfigIssue] = []
            for (k, v) in [("layers", layers), ("heads", heads), ("dim", dim), ("context", context), ("vocab", vocab)] where v <= 0 {
                out.append(ConfigIssue(["size", k], "`\(k)` must be positive"))
            }
            if out.isEmpty, dim % heads != 0 {
                out.append(ConfigIssue(["size", "heads"], "dim \(dim) is not divisible by heads \(heads); choose dim as a multiple of heads"))
            }
            return out
        }
    }
}

enum ModelStageError: LocalizedError {
    case noSize
    var errorDescription: String? { "a model without `weights:` needs `size:`" }
}
