import ArgumentParser
import Foundation
import GPT

/// `finch init-model`: a randomly initialised GPT-2 checkpoint, for tests and benchmarks (pretrained
/// weights cannot be downloaded everywhere). Written in Hugging Face's layout, so
/// `GPT2LMHeadModel.from_pretrained(DIR)` loads it.
struct InitModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-model",
        abstract: "Write a randomly initialised GPT-2 (Hugging Face's initialisation) as model.safetensors + config.json.",
        discussion: """
            Give a preset (--size gpt2-small|gpt2-medium|gpt2-large|gpt2-xl) or a custom shape with \
            --layers, --heads, --dim and --context (and optionally --vocab-size, default 50257). Weights are \
            drawn as GPT2PreTrainedModel._init_weights does: normal(0, 0.02), residual projections scaled by \
            1/sqrt(2·layers), layer norms 1 and 0, biases 0; the same seed gives the same file.
            """)

    @Option(help: "Preset: gpt2-small, gpt2-medium, gpt2-large or gpt2-xl.")
    var size: String?

    @Option(help: "Transformer blocks (custom size).") var layers: Int?
    @Option(help: "Attention heads; must divide --dim (custom size).") var heads: Int?
    @Option(help: "Embedding width (custom size).") var dim: Int?
    @Option(help: "Context length in tokens (custom size; default 1024).") var context: Int?
    @Option(name: .customLong("vocab-size"), help: "Vocabulary size (custom size; default 50257, GPT-2's).") var vocabSize: Int?

    @Option(help: "Seed of the initialisation.")
    var seed: UInt64 = 123

    @Option(help: "Directory to write (created if missing).")
    var out: String

    func run() throws {
        try reportingInvalidInput {
            let config = try resolvedConfig()
            let weights = try GPTWeights.random(config: config, seed: seed)
            try Checkpoint.save(weights, to: URL(fileURLWithPath: out))
            FileHandle.standardError.write(Data("wrote \(out): \(config.presetName ?? "custom") GPT-2, \(config.parameterCount) parameters (\(config.layers) layers, \(config.heads) heads, dim \(config.dim), context \(config.context), vocab \(config.vocab)), seed \(seed)\n".utf8))
        }
    }

    func resolvedConfig() throws -> GPTConfig {
        let custom: [(String, Int?)] = [("--layers", layers), ("--heads", heads), ("--dim", dim)]
        if let size {
            if let (flag, _) = (custom + [("--context", context), ("--vocab-size", vocabSize)]).first(where: { $0.1 != nil }) {
                throw ModelCommandError.badOptions("--size \(size) fixes the shape; drop \(flag) (or drop --size for a custom model)")
            }
            do { return try GPTConfig.preset(size) } catch let e as GPTError {
                throw ModelCommandError.badOptions(e.errorDescription ?? "\(e)")
            }
        }
        let missing = custom.filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else {
            throw ModelCommandError.badOptions("give --size PRESET, or a custom shape with --layers, --heads and --dim (missing: \(missing.joined(separator: ", ")))")
        }
        let c = GPTConfig(layers: layers!, heads: heads!, dim: dim!, context: context ?? 1024, vocab: vocabSize ?? 50257)
        do { try c.validate() } catch let e as GPTError { throw ModelCommandError.badOptions(e.errorDescription ?? "\(e)") }
        return c
    }
}
