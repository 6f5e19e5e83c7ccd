import Foundation

/// One Alpaca-style example: the shape of chapter 7's `instruction-data.json` entries.
/// `input` is the empty string when the example has no input (as the chapter's data writes it).
public struct InstructionRecord: Codable, Equatable, Hashable, Sendable {
    public var instruction: String
    public var input: String
    public var output: String

    public init(instruction: String, input: String = "", output: String) {
        self.instruction = instruction
        self.input = input
        self.output = output
    }

    // A missing or null `input` reads as "" so files written by other tools load too.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        instruction = try c.decode(String.self, forKey: .instruction)
        input = try c.decodeIfPresent(String.self, forKey: .input) ?? ""
        output = try c.decode(String.self, forKey: .output)
    }
}

/// A record rendered by a prompt template. `prompt` is everything the model sees before the answer
/// (chapter 7's `format_input(entry)`), `response` the rest (`"\n\n### Response:\n" + output` for Alpaca),
/// so `prompt + response` is the full training text, the fine-tune stage can mask the prompt's tokens,
/// and the generate stage feeds `prompt` alone.
public struct PromptRecord: Codable, Equatable, Hashable, Sendable {
    public var instruction: String
    public var input: String
    public var output: String
    public var prompt: String
    public var response: String

    public init(record: InstructionRecord, prompt: String, response: String) {
        instruction = record.instruction
        input = record.input
        output = record.output
        self.prompt = prompt
        self.response = response
    }

    public var record: InstructionRecord { InstructionRecord(instruction: instruction, input: input, output: output) }
    public var text: String { prompt + response }
}

/// One generated answer, in the shape of chapter 7's `instruction-data-with-response.json`.
public struct ResponseRecord: Codable, Equatable, Hashable, Sendable {
    public var instruction: String
    public var input: String
    public var output: String
    public var modelResponse: String

    enum CodingKeys: String, CodingKey {
        case instruction, input, output
        case modelResponse = "model_response"
    }

    public init(instruction: String, input: String = "", output: String, modelResponse: String) {
        self.instruction = instruction
        self.input = input
        self.output = output
        self.modelResponse = modelResponse
    }

    public init(record: InstructionRecord, modelResponse: String) {
        self.init(instruction: record.instruction, input: record.input, output: record.output, modelResponse: modelResponse)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        instruction = try c.decode(String.self, forKey: .instruction)
        input = try c.decodeIfPresent(String.self, forKey: .input) ?? ""
        output = try c.decode(String.self, forKey: .output)
        modelResponse = try c.decode(String.self, forKey: .modelResponse)
    }

    public var record: InstructionRecord { InstructionRecord(instruction: instruction, input: input, output: output) }
}
