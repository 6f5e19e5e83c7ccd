import Foundation

/// Configuration of the `template` stage.
public struct TemplateConfig: Codable, Equatable, Sendable {
    public enum Style: String, Codable, CaseIterable, Sendable {
        /// Chapter 7's Alpaca format (the default).
        case alpaca
        /// Exercise 7.1's Phi-3 format: `<|user|>\n…\n<|assistant|>:\n…`.
        case phi3
        /// `prompt`, `input` and `response` strings with `{instruction}`, `{input}`, `{output}` slots.
        case custom
    }

    /// Default `alpaca`.
    public var style: Style
    /// Custom only: the text before the answer; required.
    public var prompt: String?
    /// Custom only: appended to the prompt when the record's input is non-empty; default none.
    public var input: String?
    /// Custom only: the answer part, normally containing `{output}`; required.
    public var response: String?

    public init(style: Style = .alpaca, prompt: String? = nil, input: String? = nil, response: String? = nil) {
        self.style = style
        self.prompt = prompt
        self.input = input
        self.response = response
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        style = try c.decodeIfPresent(Style.self, forKey: .style) ?? .alpaca
        prompt = try c.decodeIfPresent(String.self, forKey: .prompt)
        input = try c.decodeIfPresent(String.self, forKey: .input)
        response = try c.decodeIfPresent(String.self, forKey: .response)
    }

    /// Checks the configuration without rendering anything (used at pipeline validation time).
    public func validate() throws { _ = try PromptTemplate(self) }
}

/// A compiled prompt template: prompt part, optional input part (used only when the record's input is
/// non-empty, as chapter 7 does), and response part.
public struct PromptTemplate: Equatable, Sendable {
    public static let slotNames = ["instruction", "input", "output"]

    public let promptPart: SlotTemplate
    public let inputPart: SlotTemplate?
    public let responsePart: SlotTemplate

    public static let alpaca = try! PromptTemplate(
        prompt: "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}",
        input: "\n\n### Input:\n{input}",
        response: "\n\n### Response:\n{output}")

    public static let phi3 = try! PromptTemplate(
        prompt: "<|user|>\n{instruction}",
        input: "\n{input}",
        response: "\n<|assistant|>:\n{output}")

    public init(prompt: String, input: String?, response: String) throws {
        promptPart = try SlotTemplate(prompt, name: "prompt", allowed: Self.slotNames)
        inputPart = try input.map { try SlotTemplate($0, name: "input", allowed: Self.slotNames) }
        responsePart = try SlotTemplate(response, name: "response", allowed: Self.slotNames)
    }

    public init(_ config: TemplateConfig) throws {
        switch config.style {
        case .alpaca, .phi3:
            for (field, value) in [("prompt", config.prompt), ("input", config.input), ("response", config.response)] where value != nil {
                throw TemplateError.unexpectedPart(style: config.style.rawValue, field: field)
            }
            self = config.style == .alpaca ? .alpaca : .phi3
        case .custom:
            guard let prompt = config.prompt else { throw TemplateError.missingPart(style: "custom", field: "prompt") }
            guard let response = config.response else { throw TemplateError.missingPart(style: "custom", field: "response") }
            try self.init(prompt: prompt, input: config.input, response: response)
        }
    }

    /// The text before the answer: chapter 7's `format_input(entry)` for Alpaca.
    public func prompt(for record: InstructionRecord) -> String {
        let values = Self.values(record)
        var text = promptPart.render(values)
        if !record.input.isEmpty, let inputPart { text += inputPart.render(values) }
        return text
    }

    public func response(for record: InstructionRecord) -> String {
        responsePart.render(Self.values(record))
    }

    public func render(_ record: InstructionRecord) -> PromptRecord {
        PromptRecord(record: record, prompt: prompt(for: record), response: response(for: record))
    }

    public func render(_ records: [InstructionRecord]) -> [PromptRecord] { records.map(render) }

    static func values(_ r: InstructionRecord) -> [String: String] {
        ["instruction": r.instruction, "input": r.input, "output": r.output]
    }
}

/// The `template` stage's work: records in, prompts artifact out.
public enum TemplateStage {
    @discardableResult
    public static func run(_ config: TemplateConfig, recordsDirectory: URL, outputDirectory: URL) throws -> [PromptRecord] {
        let template = try PromptTemplate(config)
        let prompts = template.render(try ArtifactFiles.readRecords(from: recordsDirectory))
        try ArtifactFiles.writePrompts(prompts, to: outputDirectory)
        return prompts
    }
}
