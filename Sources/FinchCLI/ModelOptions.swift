import ArgumentParser
import Foundation
import GPT
import TensorCore
import Tokenizers

/// `--model DIR`: a checkpoint directory in Hugging Face's GPT2LMHeadModel layout (`finch init-model`,
/// a fine-tune stage's output, or a Hub download).
struct ModelOptions: ParsableArguments {
    @Option(help: "Checkpoint directory holding model.safetensors and config.json.")
    var model: String

    func load() throws -> GPTModel {
        let url = URL(fileURLWithPath: model)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw ModelCommandError.missingModel(path: url.path)
        }
        return GPTModel(weights: try Checkpoint.load(from: url))
    }
}

/// The tokenizer, as `finch tokenize` takes it: `--vocab` + `--encoder`, or `--tokenizer DIR`. With
/// neither, the model directory is tried (a fine-tuned model may carry its tokenizer files).
struct TokenizerOptions: ParsableArguments {
    @Option(help: "Merges file: OpenAI's vocab.bpe or Hugging Face's merges.txt.")
    var vocab: String?

    @Option(help: "Token → id file: OpenAI's encoder.json or Hugging Face's vocab.json.")
    var encoder: String?

    @Option(help: "Directory holding tokenizer.json, vocab.json + merges.txt, or encoder.json + vocab.bpe (default: the model directory).")
    var tokenizer: String?

    func load(modelDirectory: String) throws -> BPETokenizer {
        switch (tokenizer, vocab, encoder) {
        case (let dir?, nil, nil):
            return try BPETokenizer.load(directory: URL(fileURLWithPath: dir))
        case (nil, let merges?, let encoder?):
            return try BPETokenizer.load(vocabulary: URL(fileURLWithPath: encoder), merges: URL(fileURLWithPath: merges))
        case (nil, nil, nil):
            do {
                return try BPETokenizer.load(directory: URL(fileURLWithPath: modelDirectory))
            } catch TokenizerError.noTokenizerFiles {
                throw ModelCommandError.noTokenizer(modelDirectory: modelDirectory)
            }
        case (_?, _, _):
            throw ModelCommandError.badOptions("give either --tokenizer DIR or --vocab PATH --encoder PATH, not both")
        default:
            throw ModelCommandError.badOptions("--vocab and --encoder go together: give both (or --tokenizer DIR)")
        }
    }
}

/// Decoding settings shared by `generate` and `chat` (see `GenerationOptions` for their meaning).
struct SamplingOptions: ParsableArguments {
    @Option(name: .customLong("max-new-tokens"), help: "New tokens at most (generation also stops at <|endoftext|>).")
    var maxNewTokens: Int = 256

    @Option(help: "0 is greedy (chapter 7); above 0 samples from softmax(logits / T).")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "When sampling, keep only the k most likely tokens.")
    var topK: Int?

    @Option(name: .customLong("top-p"), help: "When sampling, keep the smallest set of tokens whose probability reaches p.")
    var topP: Float?

    @Option(help: "Seed of the sampling stream.")
    var seed: UInt64 = 123

    @Option(help: "Weights of the per-token steps: fp32, or bf16 (half the bytes read per token; prompts stay fp32).")
    var precision: Precision = .fp32

    func options() throws -> GenerationOptions {
        let o = GenerationOptions(maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, topP: topP, seed: seed,
                                  precision: precision)
        do { try o.validate() } catch let e as GPTError {
            throw ModelCommandError.badOptions(e.errorDescription ?? "\(e)")
        }
        return o
    }
}

enum ModelCommandError: LocalizedError {
    case missingModel(path: String)
    case noTokenizer(modelDirectory: String)
    case badOptions(String)
    case vocabularyMismatch(model: Int, tokenizer: Int)

    var errorDescription: String? {
        switch self {
        case .missingModel(let path):
            return "\(path): no such model directory; create one with `finch init-model --size gpt2-small --out DIR` or point --model at a checkpoint directory"
        case .noTokenizer(let dir):
            return "\(dir) holds no tokenizer files; give --vocab vocab.bpe --encoder encoder.json, or --tokenizer DIR"
        case .badOptions(let why):
            return why
        case .vocabularyMismatch(let model, let tokenizer):
            return "the tokenizer has \(tokenizer) ids but the model's vocabulary has \(model); use the tokenizer the model was trained with"
        }
    }
}

/// Runs a model command's body; any error becomes `finch: error: …` on stderr and exit status 2
/// (every failure these commands can meet is bad input: a missing or malformed file, a bad option).
func reportingInvalidInput(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
        FileHandle.standardError.write(Data(("finch: error: " + text + "\n").utf8))
        throw ExitCode(2)
    }
}

/// The model and tokenizer a command runs with, checked against each other.
func loadModelAndTokenizer(_ m: ModelOptions, _ t: TokenizerOptions) throws -> (GPTModel, BPETokenizer) {
    let model = try m.load()
    let tokenizer = try t.load(modelDirectory: m.model)
    guard tokenizer.vocabSize <= model.config.vocab else {
        throw ModelCommandError.vocabularyMismatch(model: model.config.vocab, tokenizer: tokenizer.vocabSize)
    }
    return (model, tokenizer)
}

/// `--precision fp32|bf16` (argument-parser lists the cases and rejects anything else).
extension Precision: ExpressibleByArgument {}
