/// Byte-pair merging of one pre-token, on token ids through the pair table.
///
/// Each step merges the adjacent pair of lowest rank, the leftmost among equals — tiktoken's order.
/// Short pieces (nearly all) rescan a small rank array like tiktoken does; long ones (a 10,000-letter
/// "word") use a heap over a linked list so the cost stays O(n log n) instead of O(n²).
/// `BPEMergeReference` is the plain byte-string version these are tested against.
extension BPEModel {
    static let longPieceThreshold = 96

    /// Appends the ids of `bytes[0..<n]` to `out`.
    func merge(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        if n >= BPEModel.longPieceThreshold {
            mergeLong(p, n, into: &out)
        } else {
            mergeShort(p, n, into: &out)
        }
    }

    func mergeShort(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * n + 1) { buf in
            let ids = buf.baseAddress!
            let ranks = ids + n  // ranks[k]: rank of merging parts k and k+1; max when they do not merge
            for k in 0..<n { ids[k] = byteIds[Int(p[k])] }
            var count = n
            @inline(__always) func rankAt(_ k: Int) -> UInt32 {
                k + 1 < count ? (pairs.get(ids[k], ids[k + 1])?.rank ?? UInt32.max) : UInt32.max
            }
            for k in 0..<count { ranks[k] = rankAt(k) }
            while count > 1 {
                var best = UInt32.max, m = -1
                for k in 0..<(count - 1) where ranks[k] < best {
                    best = ranks[k]
                    m = k
                }
                if m < 0 { break }
                ids[m] = pairs.get(ids[m], ids[m + 1])!.id
                for k in (m + 1)..<(count - 1) {
                    ids[k] = ids[k + 1]
                    ranks[k] = ranks[k + 1]
                }
                count -= 1
                ranks[m] = rankAt(m)
                if m > 0 { ranks[m - 1] = rankAt(m - 1) }
            }
            for k in 0..<count { out.append(ids[k]) }
        }
    }

    func mergeLong(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        var ids = (0..<n).map { byteIds[Int(p[$0])] }
        var next = Array(1...n)  // n marks the end
        var prev = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        // Candidate (rank, left position, left id, right id); stale when either id has changed since.
        var heap = MinHeap<Candidate>()
        for k in 0..<(n - 1) {
            if let r = pairs.get(ids[k], ids[k + 1]) { heap.push(Candidate(rank: r.rank, left: Int32(k), a: ids[k], b: ids[k + 1])) }
        }
        while let c = heap.pop() {
            let l = Int(c.left)
            guard alive[l], ids[l] == c.a else { continue }
            let r = next[l]
            guard r < n, ids[r] == c.b else { continue }
            ids[l] = pairs.get(c.a, c.b)!.id
            alive[r] = false
            next[l] = next[r]
            if next[r] < n { prev[next[r]] = l }
            if prev[l] >= 0, let m = pairs.get(ids[prev[l]], ids[l]) {
                heap.push(Candidate(rank: m.rank, left: Int32(prev[l]), a: ids[prev[l]], b: ids[l]))
            }
            if next[l] < n, let m = pairs.get(ids[l], ids[next[l]]) {
                heap.push(Candidate(rank: m.rank, left: Int32(l), a: ids[l], b: ids[next[l]]))
            }
        }
        var k = 0
        while k < n {
            out.append(ids[k])
            k = next[k]
        }
    }
}

struct Candidate: Comparable {
    var rank: UInt32
    var left: Int32
    var a: UInt32
    var b: UInt32

    // Lowest rank first; among equal ranks the leftmost, since positions keep their left-to-right order.
    static func < (x: Candidate, y: Candidate) -> Bool { (x.rank, x.left) < (y.rank, y.left) }
}

/// Binary min-heap.
struct MinHeap<T: Comparable> {
    private var items: [T] = []
    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }

    mutating func push(_ x: T) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !(items[i] < items[parent]) { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> T? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l] < items[m] { m = l }
                if r < items.count && items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
