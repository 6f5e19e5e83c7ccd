import ArgumentParser
import Foundation
import GPT
import Stages
import Tokenizers

/// `finch chat`: an interactive loop over an instruction-tuned model. Each line read is one instruction,
/// formatted with the Alpaca template the model was fine-tuned on (chapter 7), answered greedily by default.
struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with an instruction-tuned model: each line is an instruction, answered in the Alpaca format.",
        discussion: """
            Reads instructions from standard input, one per line, until end of input or /exit. Each turn is \
            formatted as chapter 7 formats an entry (Alpaca: "Below is an instruction… ### Instruction: … \
            ### Response:") and answered on its own: the model was fine-tuned on single turns.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var tokenizerOptions: TokenizerOptions
    @OptionGroup var sampling: SamplingOptions

    func run() throws {
        try reportingInvalidInput {
            let options = try sampling.options()
            let (model, tokenizer) = try loadModelAndTokenizer(modelOptions, tokenizerOptions)
            let decode = DecodeWeights(model: model, precision: options.precision)
            let interactive = isatty(STDIN_FILENO) != 0
            var turn = 0
            while true {
                if interactive { write("> ") }
                guard let line = readLine(strippingNewline: true) else { break }
                let instruction = line.trimmingCharacters(in: .whitespaces)
                if instruction == "/exit" { break }
                if instruction.isEmpty { continue }
                let record = InstructionRecord(instruction: instruction, output: "")
                // The prompt ends with the response header, so the model's continuation is the answer.
                let prompt = PromptTemplate.alpaca.prompt(for: record) + PromptTemplate.alpaca.response(for: record)
                let ids = tokenizer.encode(prompt)
                // Each turn samples from its own stream, so a conversation replays identically with the same seed.
                let answer = model.generate([ids], options: options, firstIndex: turn, decodeWeights: decode)[0]
                turn += 1
                write(tokenizer.decode(answer).trimmingCharacters(in: .whitespacesAndNewlines) + "\n")
            }
        }
    }

    private func write(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
}
