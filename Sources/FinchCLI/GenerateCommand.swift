import ArgumentParser
import Foundation
import GPT
import Tokenizers

/// `finch generate`: continues one prompt with a checkpoint and prints the new text.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a model and print the continuation.",
        discussion: """
            Greedy by default (chapter 7); --temperature above 0 samples, optionally restricted by --top-k/--top-p. \
            Generation stops at <|endoftext|> or after --max-new-tokens. With --json prints \
            {"prompt_ids":[…],"new_ids":[…],"text":"…"} instead.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var tokenizerOptions: TokenizerOptions
    @OptionGroup var sampling: SamplingOptions

    @Flag(help: "Print prompt ids, new ids and the new text as one JSON object.")
    var json = false

    @Argument(help: "The prompt text.")
    var prompt: String

    func run() throws {
        try reportingInvalidInput {
            let options = try sampling.options()
            let (model, tokenizer) = try loadModelAndTokenizer(modelOptions, tokenizerOptions)
            let ids = tokenizer.encode(prompt)
            guard !ids.isEmpty else { throw ModelCommandError.badOptions("the prompt is empty; give some text to continue") }
            let newIds = model.generate([ids], options: options)[0]
            let text = tokenizer.decode(newIds)
            if json {
                let object: [String: Any] = ["prompt_ids": ids, "new_ids": newIds, "text": text]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                FileHandle.standardOutput.write(data + Data("\n".utf8))
            } else {
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
            }
        }
    }
}
