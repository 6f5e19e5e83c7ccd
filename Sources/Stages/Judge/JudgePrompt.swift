import Foundation

/// The text sent to an LLM judge for one response.
public struct JudgePrompt: Equatable, Sendable {
    public static let slotNames = ["formatted_input", "instruction", "input", "output", "model_response"]

    /// Chapter 7's prompt (`generate_model_scores`), where `formatted_input` is `format_input(entry)`:
    /// the Alpaca prompt with the instruction and, when present, the input.
    public static let chapter7 = "Given the input `{formatted_input}` and correct output `{output}`, "
        + "score the model response `{model_response}` on a scale from 0 to 100, where 100 is the best score. "
        + "Respond with the integer number only."

    let template: SlotTemplate

    public init(_ text: String = JudgePrompt.chapter7) throws {
        template = try SlotTemplate(text, name: "judge prompt", allowed: Self.slotNames)
    }

    public func render(_ r: ResponseRecord) -> String {
        template.render([
            "formatted_input": PromptTemplate.alpaca.prompt(for: r.record),
            "instruction": r.instruction,
            "input": r.input,
            "output": r.output,
            "model_response": r.modelResponse,
        ])
    }
}

/// Reads a judge's reply as a score the way chapter 7 does (`int(score)`): optional surrounding
/// whitespace, an optional sign, decimal digits — and additionally requires 0...100, since a score outside
/// the scale asked for is as unusable as text.
public func parseJudgeScore(_ reply: String) -> Int? {
    var s = Substring(pythonStrip(reply))
    var negative = false
    if let first = s.first, first == "+" || first == "-" {
        negative = first == "-"
        s = s.dropFirst()
    }
    guard !s.isEmpty, s.count <= 4, s.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(s) else { return nil }
    let score = negative ? -value : value
    return (0...100).contains(score) ? score : nil
}
