import Foundation
import Pipeline

/// `uses: judge` — scores every response of a `responses` stage (see `JudgeConfig`):
/// `kind: ollama` (default; chapter 7's Llama 3 through Ollama), `openai` (any OpenAI-compatible server),
/// `exact` (normalised exact match: 100 or 0), `rouge-l` (ROUGE-L F1 × 100).
///
/// LLM judges keep a per-item journal in the stage's work directory: an interrupted or failed run resumes
/// with the items still missing. Items that could not be scored are counted (`unparsable`, `failed`).
public struct JudgeKind: StageKind {
    public struct Configuration: StageConfiguration {
        public var responses: StageRef
        public var judge: JudgeConfig

        enum CodingKeys: String, CodingKey { case responses }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            responses = try c.decode(StageRef.self, forKey: .responses)
            judge = try JudgeConfig(from: decoder)
        }

        public func encode(to encoder: Encoder) throws {
            try judge.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(responses, forKey: .responses)
        }

        public var references: [StageReference] { [StageReference(responses, accepts: ["responses"])] }

        public func validate() -> [ConfigIssue] {
            do {
                try judge.validate()
                return []
            } catch let e as JudgeError {
                let message = e.errorDescription!
                switch e {
                case .badURL: return [ConfigIssue(["url"], message)]
                case .missingModel: return [ConfigIssue(judge.model == nil ? [] : ["model"], message)]
                case .unusedKey(let key, _): return [ConfigIssue([key], message)]
                case .badNumber(let key, _): return [ConfigIssue([key], message)]
                default: return [ConfigIssue([], message)]
                }
            } catch {
                // The prompt template (unknown or unclosed slot).
                return [ConfigIssue(["prompt"], SourceFetching.message(error))]
            }
        }
    }

    public init() {}
    public var name: String { "judge" }
    public var version: Int { 1 }
    public var produces: ArtifactType { "scores" }
    public var summary: String { "scores responses (ollama, openai, exact, rouge-l)" }

    public func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let responses = try ArtifactFiles.readResponses(from: context.input(c.responses))
        let config = c.judge
        let scores: ScoreSet
        switch config.kind {
        case .exact, .rougeL:
            let metric = config.kind == .exact ? TextMetrics.exactMatch : TextMetrics.rougeL
            scores = ScoreSet(judge: config.label, items: responses.enumerated().map { i, r in
                ScoreSet.Item(index: i, status: .scored, score: metric(r.modelResponse, r.output))
            })
            context.progress(responses.count, of: responses.count, unit: "item")
        case .ollama, .openai:
            let work = context.workDirectory
            scores = try AsyncBridge.run(context) {
                try await JudgeStage.score(config, responses: responses, workDirectory: work) { done, total in
                    context.progress(done, of: total, unit: "item")
                }
            }
            if scores.failed > 0 || scores.unparsable > 0 {
                context.log("\(scores.failed) item(s) failed and \(scores.unparsable) gave no score (see scores.json); the mean covers the \(scores.scored) scored")
            }
        }
        try ArtifactFiles.writeScores(scores, to: context.outputDirectory)
        var metrics: [String: JSONValue] = ["scored": .number(Double(scores.scored)), "unparsable": .number(Double(scores.unparsable)),
                                            "failed": .number(Double(scores.failed))]
        if let mean = scores.mean { metrics["mean"] = .number(mean) }
        return metrics
    }

    public func describe(artifact: URL) -> String? {
        guard let s = try? ArtifactFiles.readScores(from: artifact) else { return nil }
        return "\(s.judge): mean \(s.mean.map { String(format: "%.2f", $0) } ?? "–") over \(s.scored) scored, \(s.unparsable) unparsable, \(s.failed) failed"
    }
}
