/// tiktoken's byte-pair encoding of one pre-token, written plainly on byte strings.
///
/// Parts start as single bytes; while some adjacent pair's concatenation has a rank, the lowest-ranked
/// (leftmost among equals) is merged. A piece that is itself a ranked token is returned whole first.
/// This is the reference the id-based `BPEModel.merge` is tested against.
public struct BPEMergeReference {
    /// Raw bytes → rank, for single bytes and merge results.
    public let ranks: [[UInt8]: Int]
    /// Raw bytes → token id.
    public let ids: [[UInt8]: Int]

    public init(ranks: [[UInt8]: Int], ids: [[UInt8]: Int]) {
        self.ranks = ranks
        self.ids = ids
    }

    public func encode(_ piece: [UInt8]) -> [Int] {
        if ranks[piece] != nil, let id = ids[piece] { return [id] }
        var parts = piece.map { [$0] }
        while parts.count > 1 {
            var best: (rank: Int, at: Int)? = nil
            for k in 0..<(parts.count - 1) {
                if let r = ranks[parts[k] + parts[k + 1]], best == nil || r < best!.rank { best = (r, k) }
            }
            guard let b = best else { break }
            parts[b.at] += parts[b.at + 1]
            parts.remove(at: b.at + 1)
        }
        return parts.map { ids[$0]! }
    }
}
