import Foundation
import Pipeline
import Testing
import TestSupport
@testable import Stages

/// Chapter 7's published responses (`instruction-data-with-response.json`) as a `responses` artifact, so
/// judges and the report can be driven through the engine without a model.
struct PublishedResponsesKind: StageKind {
    struct Configuration: StageConfiguration {
        var path: String
        var limit: Int
        enum CodingKeys: String, CodingKey { case path, limit }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decode(String.self, forKey: .path)
            limit = try c.value(.limit, default: 110)
        }
        var references: [StageReference] { [] }
    }
    var name: String { "published-responses" }
    var version: Int { 1 }
    var produces: ArtifactType { "responses" }
    func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let all = try ArtifactFiles.readJSON([ResponseRecord].self, from: context.resolve(path: c.path))
        try ArtifactFiles.writeResponses(Array(all.prefix(c.limit)), to: context.outputDirectory)
        return [:]
    }
}

/// A model artifact with training metrics, as the finetune stage writes it (metrics only: the report
/// reads nothing else of a model).
struct RecordedTrainingKind: StageKind {
    struct Configuration: StageConfiguration {
        var losses: [Double]
        enum CodingKeys: String, CodingKey { case losses }
        init(from decoder: Decoder) throws {
            losses = try decoder.container(keyedBy: CodingKeys.self).decode([Double].self, forKey: .losses)
        }
        var references: [StageReference] { [] }
    }
    var name: String { "recorded-training" }
    var version: Int { 1 }
    var produces: ArtifactType { "model" }
    func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let n = c.losses.count
        try TrainingMetrics(trainLoss: c.losses, valLoss: c.losses.map { $0 + 0.25 }, steps: (0..<n).map { $0 * 5 },
                            tokensSeen: (0..<n).map { $0 * 5 * 8 * 60 }, initial: .init(train: 3.8, val: 3.7),
                            seconds: 1.5, tokensPerSecond: 100).write(to: context.outputDirectory)
        return [:]
    }
}

@Suite(.serialized) struct JudgeReportKindTests {
    static func registry() -> StageRegistry {
        var r = StageKinds.registry()
        r.register(PublishedResponsesKind())
        r.register(RecordedTrainingKind())
        return r
    }

    @Test func trainingMetricsUseTheAgreedFieldNames() throws {
        let m = TrainingMetrics(trainLoss: [1.5], valLoss: [1.75], steps: [0], tokensSeen: [480], initial: .init(train: 3, val: 2.5),
                                seconds: 2, tokensPerSecond: 240)
        let json = try JSONSerialization.jsonObject(with: ArtifactFiles.encoder().encode(m)) as? [String: Any]
        #expect(Set(json?.keys.map { $0 } ?? []) == ["train_loss", "val_loss", "steps", "tokens_seen", "initial", "seconds", "tokens_per_s"])
        let curve = m.lossCurve(label: "tuned")
        #expect(curve.points == [LossPoint(step: 0, tokensSeen: 480, train: 1.5, val: 1.75)])
    }

    @Test func judgesAndReportThroughTheEngine() throws {
        guard SharedData.available else { return }
        let server = try LoopbackHTTPServer { request in
            // A judge that scores by the response's length, and answers one item with words.
            let body = request.json as? [String: Any]
            let content = ((body?["messages"] as? [[String: Any]])?.first?["content"] as? String) ?? ""
            let reply = content.contains("Rewrite the sentence using a simile") ? "I would say 80" : "\(content.count % 101)"
            return .json(["model": "llama3", "message": ["role": "assistant", "content": reply], "done": true])
        }
        defer { server.stop() }
        let h = try PipelineHarness(registry: Self.registry())
        let file = try h.write("p.yaml", """
        name: judged
        stages:
          tuned: {uses: recorded-training, losses: [2.5, 1.25, 0.75]}
          responses: {uses: published-responses, path: \(sharedPath("instruction/instruction-data-with-response.json")), limit: 12}
          exact: {uses: judge, responses: responses, kind: exact}
          rouge: {uses: judge, responses: responses, kind: rouge-l}
          llm: {uses: judge, responses: responses, url: "\(server.baseURL.absoluteString)", reask_unparsable: 0, backoff: 0}
          report: {uses: report, inputs: [tuned, responses, exact, rouge, llm], samples: 2}
        """)
        let first = try h.run(file)
        #expect(first.exitStatus == 0, "\(first.stages.compactMapValues(\.error))")

        let responses = try ArtifactFiles.readResponses(from: h.artifact(first, "responses"))
        let rouge = try ArtifactFiles.readScores(from: h.artifact(first, "rouge"))
        #expect(rouge.items.map(\.score) == responses.map { TextMetrics.rougeL($0.modelResponse, $0.output) })
        let llm = try ArtifactFiles.readScores(from: h.artifact(first, "llm"))
        #expect(llm.judge == "ollama:llama3" && llm.items.count == 12)
        #expect(llm.unparsable == 1 && llm.scored == 11)
        #expect(first.stages["llm"]?.metrics["unparsable"] == .number(1))
        #expect(server.requests.count == 12)
        #expect(first.stages["report"]?.metrics["rouge.mean"] == rouge.mean.map(JSONValue.number))

        let html = try String(contentsOf: h.artifact(first, "report").appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("aria-label=\"training and validation loss\""))
        #expect(html.contains("exact on responses") && html.contains("rouge-l on responses") && html.contains("ollama:llama3 on responses"))
        #expect(html.contains(HTML.escape(responses[0].modelResponse)) && html.contains("Example 2") && !html.contains("Example 3"))
        #expect(html.contains(HTML.escape("\"reask_unparsable\" : 0")))   // the resolved configuration
        for stage in ["tuned", "responses", "exact", "rouge", "llm"] { #expect(html.contains("<td>\(stage)</td>")) }
        #expect(!html.contains("<script") && !html.contains("src=\"http"))
        let md = try String(contentsOf: h.artifact(first, "report").appendingPathComponent("report.md"), encoding: .utf8)
        #expect(md.contains("## Scores") && md.contains("| 0 | 0 | 2.500 | 2.750 |"))

        // Editing one judge reruns that judge and the report, nothing else.
        let second = try h.run(file, overrides: ["stages.llm.options.temperature=0.5"])
        #expect(h.ran(second) == ["llm", "report"])
        #expect(server.requests.count == 24)
        let html2 = try String(contentsOf: h.artifact(second, "report").appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html2.contains("(cached)"))
    }

    @Test func llmJudgeResumesFromItsJournalAfterAFailure() throws {
        guard SharedData.available else { return }
        // The server answers the first 5 requests, then refuses with HTTP 400 (a configuration error).
        let counter = RequestCounter()
        let server = try LoopbackHTTPServer { _ in
            counter.next() < 5 ? .json(["message": ["role": "assistant", "content": "50"]]) : .json(["error": "model not found"], status: 400)
        }
        defer { server.stop() }
        let h = try PipelineHarness(registry: Self.registry())
        let file = try h.write("p.yaml", """
        stages:
          responses: {uses: published-responses, path: \(sharedPath("instruction/instruction-data-with-response.json")), limit: 8}
          llm: {uses: judge, responses: responses, url: "\(server.baseURL.absoluteString)"}
        """)
        let failed = try h.run(file)
        #expect(failed.exitStatus == 1)
        #expect(failed.stages["llm"]?.error?.contains("model not found") == true)
        counter.reset()
        let resumed = try h.run(file)
        #expect(resumed.exitStatus == 0)
        // Items 0–4 came from the journal: only the 3 missing ones were asked.
        #expect(counter.value == 3)
        #expect(try ArtifactFiles.readScores(from: h.artifact(resumed, "llm")).scores == [Double](repeating: 50, count: 8))
    }
}

final class RequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int { lock.withLock { defer { n += 1 }; return n } }
    func reset() { lock.withLock { n = 0 } }
    var value: Int { lock.withLock { n } }
}
