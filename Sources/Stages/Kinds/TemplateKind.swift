import Foundation
import Pipeline

/// `uses: template` — renders records into prompts: `alpaca` (chapter 7, default), `phi3` (exercise 7.1)
/// or `custom` with `prompt`, `input` (only used when a record has an input) and `response` strings whose
/// `{instruction}`, `{input}`, `{output}` slots are filled from the record (`{{`/`}}` for literal braces).
public struct TemplateKind: StageKind {
    public struct Configuration: StageConfiguration {
        /// The records stage.
        public var data: StageRef
        public var template: TemplateConfig

        enum CodingKeys: String, CodingKey { case data }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            data = try c.decode(StageRef.self, forKey: .data)
            template = try TemplateConfig(from: decoder)
        }

        public func encode(to encoder: Encoder) throws {
            try template.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(data, forKey: .data)
        }

        public var references: [StageReference] { [StageReference(data, accepts: ["records"])] }

        public func validate() -> [ConfigIssue] {
            let parts: [(String, String?)] = [("prompt", template.prompt), ("input", template.input), ("response", template.response)]
            switch template.style {
            case .alpaca, .phi3:
                return parts.compactMap { field, value in
                    value == nil ? nil : ConfigIssue([field], TemplateError.unexpectedPart(style: template.style.rawValue, field: field).errorDescription!)
                }
            case .custom:
                var issues: [ConfigIssue] = []
                for (field, value) in parts {
                    guard let value else {
                        if field != "input" {
                            issues.append(ConfigIssue([], TemplateError.missingPart(style: "custom", field: field).errorDescription!))
                        }
                        continue
                    }
                    do { _ = try SlotTemplate(value, name: field, allowed: PromptTemplate.slotNames) } catch {
                        issues.append(ConfigIssue([field], SourceFetching.message(error)))
                    }
                }
                return issues
            }
        }
    }

    public init() {}
    public var name: String { "template" }
    public var version: Int { 1 }
    public var produces: ArtifactType { "prompts" }
    public var summary: String { "prompt template (alpaca, phi3 or custom)" }

    public func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let prompts = try TemplateStage.run(c.template, recordsDirectory: context.input(c.data), outputDirectory: context.outputDirectory)
        return ["prompts": .number(Double(prompts.count))]
    }

    public func describe(artifact: URL) -> String? {
        guard let prompts = try? ArtifactFiles.readPrompts(from: artifact) else { return nil }
        return "\(prompts.count) prompts" + (prompts.first.map { "; first:\n\($0.text)" } ?? "")
    }
}
