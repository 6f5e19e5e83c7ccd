import Foundation

/// Everything a report shows, as plain data: the lead fills it from run records and artifacts.
public struct ReportInput: Codable, Equatable, Sendable {
    /// Heading, e.g. the pipeline name.
    public var title: String
    /// The resolved configuration as text (canonical JSON of the pipeline), shown verbatim.
    public var configuration: String
    public var lossCurves: [LossCurve]
    /// One per judge × model; several are shown side by side.
    public var scoreSets: [ScoreSummary]
    public var timings: [StageTiming]
    public var samples: [ResponseSample]
    /// Free text under the title (run id, date, tool version); omitted when nil so reports can be byte-identical.
    public var subtitle: String?

    public init(title: String, configuration: String = "", lossCurves: [LossCurve] = [], scoreSets: [ScoreSummary] = [],
                timings: [StageTiming] = [], samples: [ResponseSample] = [], subtitle: String? = nil) {
        self.title = title
        self.configuration = configuration
        self.lossCurves = lossCurves
        self.scoreSets = scoreSets
        self.timings = timings
        self.samples = samples
        self.subtitle = subtitle
    }
}

/// Train and validation loss of one fine-tuning run, evaluated every few steps.
public struct LossCurve: Codable, Equatable, Sendable {
    public var label: String
    public var points: [LossPoint]

    public init(label: String, points: [LossPoint]) {
        self.label = label
        self.points = points
    }
}

public struct LossPoint: Codable, Equatable, Sendable {
    public var step: Int
    public var tokensSeen: Int
    public var train: Double
    /// Nil when the run had no validation set.
    public var val: Double?

    enum CodingKeys: String, CodingKey {
        case step, train, val
        case tokensSeen = "tokens_seen"
    }

    public init(step: Int, tokensSeen: Int, train: Double, val: Double?) {
        self.step = step
        self.tokensSeen = tokensSeen
        self.train = train
        self.val = val
    }
}

/// Scores of one judge on one set of responses.
public struct ScoreSummary: Codable, Equatable, Sendable {
    public var label: String
    /// Scored items only, 0...100.
    public var scores: [Double]
    public var mean: Double?
    public var scored: Int
    public var unparsable: Int
    public var failed: Int

    public init(label: String, scores: [Double], unparsable: Int = 0, failed: Int = 0) {
        self.label = label
        self.scores = scores
        self.mean = scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count)
        self.scored = scores.count
        self.unparsable = unparsable
        self.failed = failed
    }

    /// From a judge artifact; `label` defaults to the judge's (add the model judged when there are several).
    public init(_ set: ScoreSet, label: String? = nil) {
        self.init(label: label ?? set.judge, scores: set.scores, unparsable: set.unparsable, failed: set.failed)
    }

    /// Counts in ten bins [0,10), [10,20), …, [90,100] (100 falls in the last bin).
    public var histogram: [Int] {
        var bins = [Int](repeating: 0, count: 10)
        for s in scores { bins[min(9, max(0, Int(s / 10)))] += 1 }
        return bins
    }
}

public struct StageTiming: Codable, Equatable, Sendable {
    public var stage: String
    public var kind: String
    public var seconds: Double
    /// True when the stage's artifact came from the cache.
    public var cached: Bool

    public init(stage: String, kind: String, seconds: Double, cached: Bool = false) {
        self.stage = stage
        self.kind = kind
        self.seconds = seconds
        self.cached = cached
    }
}

/// One test example with the reference answer and each model's response.
public struct ResponseSample: Codable, Equatable, Sendable {
    public struct Labeled: Codable, Equatable, Sendable {
        public var label: String
        public var text: String

        public init(label: String, text: String) {
            self.label = label
            self.text = text
        }
    }

    public var instruction: String
    public var input: String
    public var reference: String
    public var responses: [Labeled]

    public init(instruction: String, input: String = "", reference: String, responses: [Labeled]) {
        self.instruction = instruction
        self.input = input
        self.reference = reference
        self.responses = responses
    }

    /// The first `count` items of several response sets over the same test split, lined up by index.
    public static func lineUp(_ sets: [(label: String, responses: [ResponseRecord])], count: Int = 5) -> [ResponseSample] {
        guard let first = sets.first else { return [] }
        let n = min(count, sets.map(\.responses.count).min() ?? 0)
        return (0..<n).map { i in
            let r = first.responses[i]
            return ResponseSample(instruction: r.instruction, input: r.input, reference: r.output,
                                  responses: sets.map { Labeled(label: $0.label, text: $0.responses[i].modelResponse) })
        }
    }
}
