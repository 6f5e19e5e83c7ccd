import Foundation

/// What a fine-tuning run measured, written as `metrics.json` inside the `finetune` stage's model
/// artifact (beside the checkpoint) and read by the report for its loss curves.
///
/// JSON (snake_case, stable):
/// `{"train_loss": […], "val_loss": […], "steps": […], "tokens_seen": […], "initial": {"train": x, "val": y},
///   "seconds": …, "tokens_per_s": …}` — one entry per evaluation in each of the four arrays, in order.
public struct TrainingMetrics: Codable, Equatable, Sendable {
    public static let fileName = "metrics.json"

    /// Losses before the first optimizer step (chapter 7 prints them before training).
    public struct Initial: Codable, Equatable, Sendable {
        public var train: Double
        /// Nil when the split has no validation part.
        public var val: Double?

        public init(train: Double, val: Double?) {
            self.train = train
            self.val = val
        }
    }

    /// Mean training loss over the evaluated batches, per evaluation.
    public var trainLoss: [Double]
    /// Mean validation loss per evaluation; empty when there is no validation set.
    public var valLoss: [Double]
    /// Optimizer step (0-based, as chapter 7's `global_step`) of each evaluation.
    public var steps: [Int]
    /// Input tokens processed up to each evaluation (chapter 7's `tokens_seen`).
    public var tokensSeen: [Int]
    public var initial: Initial?
    /// Wall time of the training loop.
    public var seconds: Double
    /// Training throughput: tokens seen divided by `seconds`.
    public var tokensPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case steps, initial, seconds
        case trainLoss = "train_loss"
        case valLoss = "val_loss"
        case tokensSeen = "tokens_seen"
        case tokensPerSecond = "tokens_per_s"
    }

    public init(trainLoss: [Double], valLoss: [Double], steps: [Int], tokensSeen: [Int], initial: Initial? = nil,
                seconds: Double, tokensPerSecond: Double) {
        self.trainLoss = trainLoss
        self.valLoss = valLoss
        self.steps = steps
        self.tokensSeen = tokensSeen
        self.initial = initial
        self.seconds = seconds
        self.tokensPerSecond = tokensPerSecond
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trainLoss = try c.decode([Double].self, forKey: .trainLoss)
        steps = try c.decode([Int].self, forKey: .steps)
        valLoss = try c.decodeIfPresent([Double].self, forKey: .valLoss) ?? []
        tokensSeen = try c.decodeIfPresent([Int].self, forKey: .tokensSeen) ?? []
        initial = try c.decodeIfPresent(Initial.self, forKey: .initial)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds) ?? 0
        tokensPerSecond = try c.decodeIfPresent(Double.self, forKey: .tokensPerSecond) ?? 0
    }

    /// Writes `metrics.json` into a model artifact directory.
    public func write(to directory: URL) throws {
        try ArtifactFiles.writeJSON(self, to: directory.appendingPathComponent(Self.fileName))
    }

    /// The metrics of a model artifact; nil when it has none (a `model` stage's artifact).
    public static func read(from directory: URL) throws -> TrainingMetrics? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let metrics = try ArtifactFiles.readJSON(TrainingMetrics.self, from: url)
        guard metrics.trainLoss.count == metrics.steps.count,
              metrics.valLoss.isEmpty || metrics.valLoss.count == metrics.steps.count,
              metrics.tokensSeen.isEmpty || metrics.tokensSeen.count == metrics.steps.count else {
            throw ArtifactError.decode(url, "train_loss, val_loss, steps and tokens_seen must have one entry per evaluation")
        }
        return metrics
    }

    /// The curve the report draws.
    public func lossCurve(label: String) -> LossCurve {
        LossCurve(label: label, points: steps.indices.map { i in
            LossPoint(step: steps[i], tokensSeen: tokensSeen.isEmpty ? 0 : tokensSeen[i], train: trainLoss[i],
                      val: valLoss.isEmpty ? nil : valLoss[i])
        })
    }
}
