import Foundation

/// `metrics.json` of a fine-tuned model artifact: chapter 7's loss curves (train and validation loss at every
/// evaluation, against the optimizer step and the tokens seen by then), the losses before training, and the
/// wall time. A validation loss is null when the run has no validation batches.
public struct TrainingMetrics: Codable, Equatable, Sendable {
    public struct Initial: Codable, Equatable, Sendable {
        public var train: Double?
        public var val: Double?

        public init(train: Double?, val: Double?) {
            self.train = train
            self.val = val
        }
    }

    public var trainLoss: [Double?]
    public var valLoss: [Double?]
    public var steps: [Int]
    public var tokensSeen: [Int]
    public var initial: Initial
    /// Wall time of the training loop (summed over resumed runs), in seconds.
    public var seconds: Double
    /// Training tokens (inputs of every batch) per second of `seconds`.
    public var tokensPerS: Double

    enum CodingKeys: String, CodingKey {
        case trainLoss = "train_loss", valLoss = "val_loss", steps, tokensSeen = "tokens_seen", initial, seconds
        case tokensPerS = "tokens_per_s"
    }

    public init(trainLoss: [Double?] = [], valLoss: [Double?] = [], steps: [Int] = [], tokensSeen: [Int] = [],
                initial: Initial = Initial(train: nil, val: nil), seconds: Double = 0, tokensPerS: Double = 0) {
        self.trainLoss = trainLoss
        self.valLoss = valLoss
        self.steps = steps
        self.tokensSeen = tokensSeen
        self.initial = initial
        self.seconds = seconds
        self.tokensPerS = tokensPerS
    }

    public static let fileName = "metrics.json"
}
