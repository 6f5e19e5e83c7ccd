import Foundation
import Pipeline

/// `uses: report` — `report.html` (one self-contained file: inline CSS and SVG, no scripts) and `report.md`.
///
/// Fields: `inputs` (stages to show: models — loss curves from a finetune artifact's `metrics.json` —,
/// responses and scores; other artifacts are ignored), `samples` (responses shown next to their
/// references; default 5), `title` (default the pipeline's name). The report also shows the resolved
/// configuration of the whole pipeline and the time of every stage of the run (for stages taken from the
/// cache: the time of the run that made them).
public struct ReportKind: StageKind {
    public struct Configuration: StageConfiguration {
        public var inputs: [StageRef]
        public var samples: Int
        public var title: String?

        enum CodingKeys: String, CodingKey { case inputs, samples, title }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            inputs = try c.decode([StageRef].self, forKey: .inputs)
            samples = try c.value(.samples, default: 5)
            title = try c.decodeIfPresent(String.self, forKey: .title)
        }

        public var references: [StageReference] { inputs.map { StageReference($0) } }

        public func validate() -> [ConfigIssue] {
            var issues: [ConfigIssue] = []
            if inputs.isEmpty { issues.append(ConfigIssue(["inputs"], "list at least one stage to report on")) }
            if samples < 0 { issues.append(ConfigIssue(["samples"], "`samples` must be zero or more")) }
            return issues
        }
    }

    public init() {}
    public var name: String { "report" }
    public var version: Int { 1 }
    public var produces: ArtifactType { "report" }
    public var summary: String { "HTML + Markdown report: configuration, loss curves, scores, timing, samples" }

    public func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let run = context.run
        var curves: [LossCurve] = []
        var responseSets: [(label: String, responses: [ResponseRecord])] = []
        var scoreSets: [ScoreSummary] = []
        var scoreStages: [String] = []
        let fm = FileManager.default
        for ref in c.inputs {
            let dir = context.input(ref)
            if let metrics = try TrainingMetrics.read(from: dir) {
                curves.append(metrics.lossCurve(label: ref.name))
            }
            if fm.fileExists(atPath: dir.appendingPathComponent(ArtifactFiles.responses).path) {
                responseSets.append((ref.name, try ArtifactFiles.readResponses(from: dir)))
            }
            if fm.fileExists(atPath: dir.appendingPathComponent(ArtifactFiles.scores).path) {
                let set = try ArtifactFiles.readScores(from: dir)
                scoreSets.append(ScoreSummary(set, label: Self.scoreLabel(stage: ref.name, judge: set.judge, spec: run.spec)))
                scoreStages.append(ref.name)
            }
        }
        let input = ReportInput(title: c.title ?? run.pipeline,
                                configuration: Self.prettyJSON(run.spec),
                                lossCurves: curves, scoreSets: scoreSets,
                                timings: Self.timings(run, cacheDirectory: context.cacheDirectory),
                                samples: ResponseSample.lineUp(responseSets, count: c.samples),
                                subtitle: "run \(run.runID)")
        try ReportStage.run(input, outputDirectory: context.outputDirectory)
        var metrics: [String: JSONValue] = ["loss_curves": .number(Double(curves.count)), "score_sets": .number(Double(scoreSets.count))]
        for (stage, set) in zip(scoreStages, scoreSets) { if let m = set.mean { metrics["\(stage).mean"] = .number(m) } }
        return metrics
    }

    /// `scores (exact) on responses of tuned`: the judge and, through the spec's references, what it judged.
    static func scoreLabel(stage: String, judge: String, spec: JSONValue) -> String {
        let stages = spec["stages"]
        guard let responses = stages?[stage]?["config"]?["responses"]?.stringValue else { return "\(stage) (\(judge))" }
        if let model = stages?[responses]?["config"]?["model"]?.stringValue {
            return "\(judge) on \(model)"
        }
        return "\(judge) on \(responses)"
    }

    /// Per stage of the run so far, in execution order. A cached stage shows the time of the latest
    /// recorded run that made its object.
    static func timings(_ run: RunSnapshot, cacheDirectory: URL) -> [StageTiming] {
        let entries = run.order.compactMap { name in run.finished[name].map { (name, $0) } }
        var history: [RunRecord]?
        return entries.map { name, entry in
            var seconds = entry.seconds
            let cached = entry.status == "cached"
            if cached {
                if history == nil { history = RunHistory(store: ArtifactStore(root: cacheDirectory)).records(pipeline: run.pipeline) }
                seconds = history!.reversed().lazy.compactMap { r -> Double? in
                    guard let s = r.stages[name], s.key == entry.key, s.status == "ran" else { return nil }
                    return s.seconds
                }.first ?? 0
            }
            return StageTiming(stage: name, kind: entry.kind, seconds: seconds, cached: cached)
        }
    }

    static func prettyJSON(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? value.canonicalJSON
    }

    public func describe(artifact: URL) -> String? {
        "open \(artifact.appendingPathComponent(ReportStage.htmlFile).path) in a browser; Markdown in \(ReportStage.markdownFile)"
    }
}
