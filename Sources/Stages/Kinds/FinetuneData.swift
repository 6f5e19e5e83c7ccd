import Foundation
import GPT
import TensorCore
import Tokenizers

/// The tokenized examples of one split and the batches chapter 7's data loaders draw from them.
///
/// As chapter 7's `InstructionDataset`, each example is the full text (prompt + response) tokenized at once;
/// with prompt masking (exercise 7.2) the prompt is also tokenized alone to know how many targets to hide.
struct FinetuneExamples {
    let ids: [[Int]]
    let promptLengths: [Int]?

    init(_ records: [PromptRecord], tokenizer: Tokenizer, maskPrompt: Bool) {
        ids = records.map { tokenizer.encode($0.text) }
        promptLengths = maskPrompt ? records.map { tokenizer.encode($0.prompt).count } : nil
    }

    var count: Int { ids.count }

    /// Item indices per batch, in loader order: shuffled with `rng` when given, the last partial batch
    /// dropped when `dropLast` (PyTorch's `DataLoader(shuffle=…, drop_last=…)`).
    func batchOrder(batchSize: Int, dropLast: Bool, shuffle rng: RNG?) -> [[Int]] {
        var order = Array(0..<count)
        if var rng { rng.shuffle(&order) }
        var batches: [[Int]] = []
        var start = 0
        while start < order.count {
            let end = min(start + batchSize, order.count)
            if end - start < batchSize && dropLast { break }
            batches.append(Array(order[start..<end]))
            start = end
        }
        return batches
    }

    /// Chapter 7's `custom_collate_fn` over the items of one batch.
    func collateBatch(_ items: [Int], padId: Int, maxLength: Int) -> TokenBatch {
        collate(items.map { ids[$0] }, padId: padId, maxLength: maxLength, promptLengths: promptLengths.map { p in items.map { p[$0] } })
    }
}
