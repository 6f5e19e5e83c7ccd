/// Trains a byte-level BPE vocabulary with GPT-2's pre-tokenizer, for small vocabularies (the offline
/// quickstart trains a few hundred to a few thousand tokens on a synthetic corpus).
///
/// Ids: the 256 bytes first, numbered in GPT-2's byte order (so they equal GPT-2's ids 0…255), then one
/// id per merge in the order learnt, then the special tokens in the order given. Special-token text in
/// the corpus is cut out before counting, so no merge spans or builds one.
///
/// Determinism: the result depends only on the corpus and the parameters. Each step merges the pair
/// with the highest count (a word's count is its number of occurrences; every adjacent pair inside it
/// counts that many times); ties go to the pair whose left id is smaller, then whose right id is smaller
/// — i.e. to the pair made of earlier-learnt tokens. Within a word, occurrences are merged left to right
/// without overlap. Nothing depends on hash or dictionary order.
public enum BPETrainer {
    /// Trains on `corpus` until the vocabulary holds `vocabSize` ids (bytes + merges + specials), or no
    /// pair occurs at least `minFrequency` times. `specialTokens` must include `<|endoftext|>`, which
    /// every Finch tokenizer needs; it is added at the end when missing.
    public static func train(_ corpus: some Sequence<String>, vocabSize: Int, specialTokens: [String] = ["<|endoftext|>"],
                             minFrequency: Int = 2) throws -> BPETokenizer {
        var specials: [String] = []
        for s in specialTokens + [BPEModel.endOfText] where !specials.contains(s) {
            guard !s.isEmpty else { throw TokenizerError.invalidTrainingParameters(reason: "a special token is empty") }
            specials.append(s)
        }
        guard vocabSize >= 256 + specials.count else {
            throw TokenizerError.invalidTrainingParameters(
                reason: "vocab_size \(vocabSize) is too small: the 256 bytes and \(specials.count) special token(s) need \(256 + specials.count)")
        }
        guard minFrequency >= 1 else { throw TokenizerError.invalidTrainingParameters(reason: "min_frequency must be at least 1") }
        guard vocabSize <= 1 << 22 else { throw TokenizerError.invalidTrainingParameters(reason: "vocab_size \(vocabSize) is larger than 4,194,304") }

        var words = WordCounts()
        for text in corpus { words.add(text, cuttingOut: specials) }

        // Token bytes by id: GPT-2's byte order first.
        var tokens: [[UInt8]] = ByteLevel.byteOrder.map { [$0] }
        var idOfBytes: [[UInt8]: UInt32] = [:]
        for (id, t) in tokens.enumerated() { idOfBytes[t] = UInt32(id) }
        var symbols: [[UInt32]] = words.words.map { $0.map { idOfBytes[[$0]]! } }
        let counts = words.counts

        var pairCount: [UInt64: Int] = [:]
        var pairWords: [UInt64: [Int32]] = [:]
        for (w, s) in symbols.enumerated() where s.count > 1 {
            for k in 0..<(s.count - 1) {
                let key = PairTable.key(s[k], s[k + 1])
                pairCount[key, default: 0] += counts[w]
                pairWords[key, default: []].append(Int32(w))
            }
        }
        var heap = MinHeap<PairCandidate>()
        for (key, c) in pairCount { heap.push(PairCandidate(count: c, key: key)) }

        var merges: [(UInt32, UInt32)] = []
        var lastVisit = [Int](repeating: -1, count: symbols.count)
        let target = vocabSize - specials.count
        while tokens.count < target, let best = heap.pop() {
            guard pairCount[best.key] == best.count else { continue }  // stale entry
            guard best.count >= minFrequency else { break }
            let a = UInt32(truncatingIfNeeded: best.key >> 32), b = UInt32(truncatingIfNeeded: best.key)
            let joined = tokens[Int(a)] + tokens[Int(b)]
            let newId: UInt32
            if let existing = idOfBytes[joined] {
                newId = existing  // the same bytes were already learnt from another pair
            } else {
                newId = UInt32(tokens.count)
                tokens.append(joined)
                idOfBytes[joined] = newId
            }
            merges.append((a, b))

            var touched: Set<UInt64> = []
            for w32 in pairWords[best.key] ?? [] {
                let w = Int(w32)
                if lastVisit[w] == merges.count { continue }
                lastVisit[w] = merges.count
                let old = symbols[w]
                var new: [UInt32] = []
                new.reserveCapacity(old.count)
                var k = 0
                while k < old.count {
                    if k + 1 < old.count && old[k] == a && old[k + 1] == b {
                        new.append(newId)
                        k += 2
                    } else {
                        new.append(old[k])
                        k += 1
                    }
                }
                if new.count == old.count { continue }  // stale: the pair is no longer in this word
                for k in 0..<(old.count - 1) {
                    let key = PairTable.key(old[k], old[k + 1])
                    pairCount[key, default: 0] -= counts[w]
                    touched.insert(key)
                }
                for k in 0..<max(new.count - 1, 0) {
                    let key = PairTable.key(new[k], new[k + 1])
                    pairCount[key, default: 0] += counts[w]
                    touched.insert(key)
                    if new[k] == newId || new[k + 1] == newId { pairWords[key, default: []].append(w32) }
                }
                symbols[w] = new
            }
            pairWords[best.key] = nil
            for key in touched {
                let c = pairCount[key] ?? 0
                if c > 0 { heap.push(PairCandidate(count: c, key: key)) } else { pairCount[key] = nil }
            }
        }

        // Build through the loader's own checks, so the saved files read back to the same tokenizer.
        var vocab = VocabList()
        for (id, t) in tokens.enumerated() { vocab.append(ByteLevel.encode(t).utf8, id: id, line: 0, column: 0) }
        for (k, s) in specials.enumerated() { vocab.append(ByteLevel.encode(s.utf8).utf8, id: tokens.count + k, line: 0, column: 0) }
        var mergeList = MergeList()
        for (a, b) in merges {
            mergeList.append(left: ByteLevel.encode(tokens[Int(a)]).utf8, right: ByteLevel.encode(tokens[Int(b)]).utf8, line: 0, column: 0)
        }
        return BPETokenizer(model: try BPEModel.build(vocab: vocab, vocabPath: "<trained vocabulary>", merges: mergeList,
                                                      mergesPath: "<trained merges>"))
    }
}

/// Highest count first, then the smaller (left id, right id).
struct PairCandidate: Comparable {
    var count: Int
    var key: UInt64

    static func < (x: PairCandidate, y: PairCandidate) -> Bool {
        x.count != y.count ? x.count > y.count : x.key < y.key
    }
}

/// Distinct pre-tokens of a corpus (raw bytes) with their number of occurrences, in order of first appearance.
struct WordCounts {
    var words: [[UInt8]] = []
    var counts: [Int] = []
    private var index = ByteTable(minimumCapacity: 1024)

    mutating func add(_ text: String, cuttingOut specials: [String]) {
        var text = text
        text.withUTF8 { buf in
            var segmentStart = 0
            var i = 0
            let specialBytes = specials.map { Array($0.utf8) }
            while i < buf.count {
                if let s = specialBytes.first(where: { $0.count <= buf.count - i && $0[0] == buf[i] && Array(buf[i..<(i + $0.count)]) == $0 }) {
                    addSegment(UnsafeBufferPointer(rebasing: buf[segmentStart..<i]))
                    i += s.count
                    segmentStart = i
                } else {
                    i += 1
                }
            }
            addSegment(UnsafeBufferPointer(rebasing: buf[segmentStart..<buf.count]))
        }
    }

    private mutating func addSegment(_ buf: UnsafeBufferPointer<UInt8>) {
        guard let base = buf.baseAddress else { return }
        var pre = PreTokenizer(buf)
        while let r = pre.next() {
            let p = base + r.lowerBound
            if let w = index.get(p, r.count) {
                counts[Int(w)] += 1
            } else {
                index.set(p, r.count, UInt64(words.count))
                words.append(Array(UnsafeBufferPointer(start: p, count: r.count)))
                counts.append(1)
            }
        }
    }
}
