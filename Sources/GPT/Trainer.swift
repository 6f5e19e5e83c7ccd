import TensorCore

/// The training step the fine-tune stage and `finch bench train` run: forward (fp32 or bf16 matrix products),
/// backward, and an optimizer step once `accumulator` has gathered its micro-batches.
public final class Trainer {
    public let model: GPTModel
    public let optimizer: Optimizer
    public var precision: Precision
    public var accumulator: GradientAccumulator
    public var schedule: LRSchedule?
    /// Dropout masks come from fork(microStep) of this stream, so a resumed run draws the same masks.
    public let dropoutStream: RNG
    /// Micro-batches trained so far (restored from checkpoints).
    public var microStep = 0

    public struct StepResult: Sendable {
        public let loss: Float
        /// Global gradient norm before clipping, when this micro-batch completed an optimizer step.
        public let gradNorm: Float?
        /// Input tokens in the batch (rows × length), as chapter 7 counts `tokens_seen`.
        public let tokens: Int
    }

    public init(model: GPTModel, optimizer: Optimizer, precision: Precision = .fp32,
                accumulator: GradientAccumulator? = nil, schedule: LRSchedule? = nil, seed: UInt64 = 123) throws {
        self.model = model
        self.optimizer = optimizer
        self.precision = precision
        self.accumulator = try accumulator ?? GradientAccumulator()
        self.schedule = schedule
        self.dropoutStream = RNG(seed: seed).fork(0xD80)
    }

    public func trainStep(_ batch: TokenBatch) -> StepResult {
        let dropout = model.config.dropout > 0 ? dropoutStream.fork(UInt64(microStep)) : nil
        let loss = withPrecision(precision) { () -> Float in
            let loss = model.loss(batch, dropout: dropout)
            loss.backward()
            return loss.item
        }
        microStep += 1
        let norm = accumulator.microBatchFinished(optimizer: optimizer, schedule: schedule)
        return StepResult(loss: loss, gradNorm: norm, tokens: batch.rows * batch.length)
    }

    /// Steps on a partial accumulation group (end of training).
    public func flush() { accumulator.flush(optimizer: optimizer, schedule: schedule) }

    /// Mean of the batches' losses with no tape and no dropout, as chapter 7's `calc_loss_loader`.
    public func evaluate(_ batches: [TokenBatch]) -> Float {
        guard !batches.isEmpty else { return .nan }
        return withoutGradients {
            withPrecision(precision) {
                batches.map { model.loss($0).item }.reduce(0, +) / Float(batches.count)
            }
        }
    }
}
