import Foundation
import Pipeline

/// `uses: split` — train/test/validation parts of a prompts stage.
///
/// Fields: `data` (prompts stage), `train` 0.85, `test` 0.10, `validation` 0.05 (must sum to 1),
/// `shuffle` false. In file order the sizes are chapter 7's: `int(n·train)`, `int(n·test)`, the rest
/// (1,100 → 935/110/55); `shuffle: true` shuffles with the pipeline seed first.
public struct SplitKind: StageKind {
    public struct Configuration: StageConfiguration {
        public var data: StageRef
        public var split: SplitConfig

        enum CodingKeys: String, CodingKey { case data }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            data = try c.decode(StageRef.self, forKey: .data)
            split = try SplitConfig(from: decoder)
        }

        public func encode(to encoder: Encoder) throws {
            try split.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(data, forKey: .data)
        }

        public var references: [StageReference] { [StageReference(data, accepts: ["prompts"])] }

        public func validate() -> [ConfigIssue] {
            var issues: [ConfigIssue] = []
            for (name, value) in [("train", split.train), ("test", split.test), ("validation", split.validation)]
            where !(value.isFinite && value >= 0 && value <= 1) {
                issues.append(ConfigIssue([name], SplitError.fractionOutOfRange(name, value).errorDescription!))
            }
            if issues.isEmpty, abs(split.train + split.test + split.validation - 1) > 1e-6 {
                issues.append(ConfigIssue(["train"], SplitError.fractionsDoNotSumToOne(split.train, split.test, split.validation).errorDescription!))
            }
            return issues
        }
    }

    public init() {}
    public var name: String { "split" }
    public var version: Int { 1 }
    public var produces: ArtifactType { "splits" }
    public var usesSeed: Bool { true }
    public var summary: String { "train/test/validation split (file order or seeded shuffle)" }

    public func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let s = try SplitStage.run(c.split, seed: context.seed, promptsDirectory: context.input(c.data), outputDirectory: context.outputDirectory)
        return ["train": .number(Double(s.train.count)), "test": .number(Double(s.test.count)),
                "validation": .number(Double(s.validation.count))]
    }

    public func describe(artifact: URL) -> String? {
        guard let s = try? ArtifactFiles.readSplits(from: artifact) else { return nil }
        return "train \(s.train.count), test \(s.test.count), validation \(s.validation.count)"
    }
}
