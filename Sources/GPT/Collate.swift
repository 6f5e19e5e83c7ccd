/// A padded training batch: `inputs` and `targets` are [rows × length] row-major token ids.
public struct TokenBatch: Equatable, Sendable {
    public let rows: Int
    public let length: Int
    public let inputs: [Int32]
    /// Next-token targets; `ignoreIndex` where the loss must not look.
    public let targets: [Int32]

    /// Number of targets the loss counts.
    public var countedTargets: Int { targets.lazy.filter { $0 != TokenBatch.ignoreIndex }.count }

    public static let ignoreIndex: Int32 = -100
}

/// Chapter 7's `custom_collate_fn`, exactly: append the end token, pad with it to the longest item (+1),
/// shift by one for the targets, set every target equal to the pad id except the first to -100, then
/// optionally truncate to `maxLength`.
///
/// With `promptLengths` (exercise 7.2's masking) the first `promptLength - 1` targets of each row — the ones
/// predicting prompt tokens — are also set to -100, before truncation as in the exercise solution.
public func collate(_ items: [[Int]], padId: Int = 50256, maxLength: Int? = nil, promptLengths: [Int]? = nil) -> TokenBatch {
    precondition(!items.isEmpty, "cannot collate an empty batch")
    precondition(promptLengths == nil || promptLengths!.count == items.count, "one prompt length per item")
    let longest = items.map { $0.count + 1 }.max()!
    let length = maxLength.map { min($0, longest - 1) } ?? longest - 1
    var inputs: [Int32] = [], targets: [Int32] = []
    inputs.reserveCapacity(items.count * length)
    targets.reserveCapacity(items.count * length)
    for (row, item) in items.enumerated() {
        let padded = item + [Int](repeating: padId, count: longest - item.count)
        var x = padded.dropLast().map { Int32($0) }
        var y = padded.dropFirst().map { Int32($0) }
        var seenPad = false
        for i in y.indices where y[i] == Int32(padId) {
            if seenPad { y[i] = TokenBatch.ignoreIndex } else { seenPad = true }
        }
        if let promptLengths {
            for i in 0..<min(max(promptLengths[row] - 1, 0), y.count) { y[i] = TokenBatch.ignoreIndex }
        }
        x = Array(x.prefix(length))
        y = Array(y.prefix(length))
        inputs += x
        targets += y
    }
    return TokenBatch(rows: items.count, length: length, inputs: inputs, targets: targets)
}
