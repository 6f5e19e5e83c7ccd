/// The positions of a padded batch that can reach its loss, packed: in row b, every position up to the last
/// one with a counted target. Later positions (the padding after a response) only feed ignored targets, and
/// a causal model's earlier positions never see them, so dropping them changes neither the loss nor any
/// gradient — it only skips their share of the step (about a sixth of a chapter 7 batch).
///
/// Linear layers, layer norms and the MLP run on the packed tokens [N, C]; attention runs on a padded
/// [B, longest] view of them, rebuilt per layer by a gather (`paddedSlots`) and packed again afterwards
/// (`packedSlots`). The padded view's extra slots repeat real tokens; only later positions of the same row
/// see them, and those are discarded, so their gradient is exactly zero.
struct PackedBatch {
    let rows: Int
    /// Attention's padded length: the longest kept row.
    let longest: Int
    /// Token id and position of each packed token, row by row.
    let ids: [Int32], positions: [Int32]
    /// For each slot (b, t) of the [rows, longest] view: the packed token it shows.
    let paddedSlots: [Int32]
    /// For each packed token: its slot b · longest + t in that view.
    let packedSlots: [Int32]
    /// Packed tokens with a counted target, and those targets.
    let countedTokens: [Int32], countedTargets: [Int32]

    var count: Int { ids.count }

    init(_ batch: TokenBatch) {
        let (B, T) = (batch.rows, batch.length)
        let kept = (0..<B).map { b in
            ((0..<T).last { batch.targets[b * T + $0] != TokenBatch.ignoreIndex }).map { $0 + 1 } ?? 0
        }
        let longest = kept.max() ?? 0
        var ids: [Int32] = [], positions: [Int32] = [], packedSlots: [Int32] = []
        var paddedSlots = [Int32](repeating: 0, count: B * longest)
        var countedTokens: [Int32] = [], countedTargets: [Int32] = []
        for b in 0..<B {
            let first = ids.count
            for t in 0..<kept[b] {
                let target = batch.targets[b * T + t]
                if target != TokenBatch.ignoreIndex {
                    countedTokens.append(Int32(ids.count))
                    countedTargets.append(target)
                }
                paddedSlots[b * longest + t] = Int32(ids.count)
                packedSlots.append(Int32(b * longest + t))
                ids.append(batch.inputs[b * T + t])
                positions.append(Int32(t))
            }
            // A row's slots past its end show its last kept token (a row with none: token 0).
            let filler = Int32(ids.count > first ? ids.count - 1 : 0)
            for t in kept[b]..<longest { paddedSlots[b * longest + t] = filler }
        }
        (self.rows, self.longest, self.ids, self.positions) = (B, longest, ids, positions)
        (self.paddedSlots, self.packedSlots) = (paddedSlots, packedSlots)
        (self.countedTokens, self.countedTargets) = (countedTokens, countedTargets)
    }
}
