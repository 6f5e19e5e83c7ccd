import Foundation

public enum FinetuneError: LocalizedError, Equatable {
    case vocabularyTooLarge(tokenizer: Int, model: Int)
    case noTrainingBatches(examples: Int, batchSize: Int)
    case checkpoint(URL, String)
    case diverged(split: String, step: Int, loss: Double)

    public var errorDescription: String? {
        switch self {
        case .vocabularyTooLarge(let t, let m):
            return "the tokenizer has \(t) ids but the model's embedding has only \(m) rows; use the tokenizer the model was made for, or a model with `vocab: \(t)` or more"
        case .noTrainingBatches(let n, let b):
            return "the training split has \(n) example(s), fewer than one batch of `batch_size: \(b)` with `drop_last: true`; lower batch_size, set drop_last: false, or add data"
        case .diverged(let split, let step, let loss):
            return "training diverged: the \(split) loss is \(loss) \(step < 0 ? "before training" : "at step \(step)"); lower optimizer.lr, set grad_clip, or check the data"
        case .checkpoint(let url, let why):
            return "\(url.path): cannot use the fine-tuning checkpoint (\(why)); delete the directory to start the stage over"
        }
    }
}
