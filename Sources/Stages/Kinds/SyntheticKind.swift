import Foundation
import Pipeline

/// `uses: synthetic` — seeded instruction tasks with one checkable answer each (the offline quickstart).
///
/// Fields: `count` (default 1000), `tasks` (default all of `SyntheticTask`). The same seed gives the same records.
public struct SyntheticKind: StageKind {
    public struct Configuration: StageConfiguration {
        public var synthetic: SyntheticConfig

        public init(from decoder: Decoder) throws { synthetic = try SyntheticConfig(from: decoder) }
        public func encode(to encoder: Encoder) throws { try synthetic.encode(to: encoder) }

        public var references: [StageReference] { [] }

        public func validate() -> [ConfigIssue] {
            var issues: [ConfigIssue] = []
            if synthetic.count <= 0 { issues.append(ConfigIssue(["count"], SyntheticError.badCount(synthetic.count).errorDescription!)) }
            if synthetic.tasks.isEmpty { issues.append(ConfigIssue(["tasks"], SyntheticError.noTasks.errorDescription!)) }
            return issues
        }
    }

    public init() {}
    public var name: String { "synthetic" }
    public var version: Int { 1 }
    public var produces: ArtifactType { "records" }
    public var usesSeed: Bool { true }
    public var summary: String { "seeded instruction tasks with checkable answers" }

    public func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let records = try SyntheticStage.run(c.synthetic, seed: context.seed, outputDirectory: context.outputDirectory)
        return ["records": .number(Double(records.count))]
    }

    public func describe(artifact: URL) -> String? {
        (try? ArtifactFiles.readRecords(from: artifact)).map { "\($0.count) records" }
    }
}
