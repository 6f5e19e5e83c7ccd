/// Vocabulary entries as read from a file, texts (GPT-2's byte-level alphabet) packed in one array so
/// that loading 50,000 of them costs no allocation each.
struct VocabList {
    struct Entry {
        var start: UInt32
        var end: UInt32
        var id: Int
        var line: Int32
        var column: Int32
    }

    var text: [UInt8] = []
    var entries: [Entry] = []

    mutating func append(_ token: some Collection<UInt8>, id: Int, line: Int, column: Int) {
        let start = text.count
        text.append(contentsOf: token)
        entries.append(Entry(start: UInt32(start), end: UInt32(text.count), id: id, line: Int32(line), column: Int32(column)))
    }

    func shown(_ e: Entry) -> String { String(decoding: text[Int(e.start)..<Int(e.end)], as: UTF8.self) }
}

/// Merge rules as read from a file, packed like `VocabList`: entry k is `text[start..<split]` and
/// `text[split + 1..<end]` (the byte at `split` is the separating space).
struct MergeList {
    struct Entry {
        var start: UInt32
        var split: UInt32
        var end: UInt32
        var line: Int32
        var column: Int32
    }

    var text: [UInt8] = []
    var entries: [Entry] = []

    mutating func append(left: some Collection<UInt8>, right: some Collection<UInt8>, line: Int, column: Int) {
        let start = text.count
        text.append(contentsOf: left)
        let split = text.count
        text.append(0x20)
        text.append(contentsOf: right)
        entries.append(Entry(start: UInt32(start), split: UInt32(split), end: UInt32(text.count), line: Int32(line), column: Int32(column)))
    }

    func shown(_ e: Entry) -> String { String(decoding: text[Int(e.start)..<Int(e.end)], as: UTF8.self) }
}

/// An entry of `tokenizer.json`'s `added_tokens`: literal text (not byte-level) with a fixed id.
struct AddedToken {
    var content: String
    var id: Int
    var line: Int
    var column: Int
}

/// The immutable tables encoding and decoding run on, built and checked from vocabulary + merges.
///
/// Semantics follow tiktoken exactly: a token's rank is the index of the first merge that produces it;
/// two adjacent parts merge when their *concatenation* is a ranked token (not only when the pair is
/// listed as a merge), lowest rank first, leftmost on ties; a pre-token that is itself a ranked token
/// maps to it directly. The pair table therefore holds every split of every ranked token into two ranked
/// tokens (108,299 pairs for GPT-2, of which 50,000 are the listed merges).
struct BPEModel {
    /// Raw bytes of token `id` are `tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]]`.
    var tokenBytes: [UInt8] = []
    var tokenOffsets: [UInt32] = [0]
    /// Raw bytes → id, with bit 32 set when the token is ranked (a single byte or a merge result).
    var table = ByteTable()
    /// Token id of each byte value.
    var byteIds = [UInt32](repeating: 0, count: 256)
    var pairs = PairTable(minimumCapacity: 16)
    /// Merge rules in rank order, as token ids (left, right); what `save` writes back.
    var merges: [(UInt32, UInt32)] = []
    /// Tokens matched as whole strings when the caller allows them (never produced by merging).
    var specials: [(text: String, id: Int)] = []
    var eotId = 0

    var vocabSize: Int { tokenOffsets.count - 1 }
    static let rankedFlag: UInt64 = 1 << 32
    static let endOfText = "<|endoftext|>"

    func bytes(of id: Int) -> ArraySlice<UInt8> {
        tokenBytes[Int(tokenOffsets[id])..<Int(tokenOffsets[id + 1])]
    }

    /// Checks and indexes a vocabulary. Every inconsistency is an error naming the file and line.
    static func build(vocab: VocabList, vocabPath: String, merges: MergeList, mergesPath: String,
                      added: [AddedToken] = []) throws -> BPEModel {
        let maxId = 1 << 24
        var addedById: [Int: AddedToken] = [:]
        for a in added {
            guard a.id >= 0 && a.id < maxId else {
                throw TokenizerError.invalidVocabularyEntry(path: vocabPath, line: a.line, column: a.column, token: a.content,
                                                            reason: "id \(a.id) is out of range (0..<\(maxId))")
            }
            addedById[a.id] = a
        }
        var count = added.map { $0.id + 1 }.max() ?? 0
        for e in vocab.entries {
            guard e.id >= 0 && e.id < maxId else {
                throw TokenizerError.invalidVocabularyEntry(path: vocabPath, line: Int(e.line), column: Int(e.column), token: vocab.shown(e),
                                                            reason: "id \(e.id) is out of range (0..<\(maxId))")
            }
            count = max(count, e.id + 1)
        }
        guard count > 0 else { throw TokenizerError.inconsistentVocabulary(path: vocabPath, reason: "the vocabulary is empty") }

        // Raw bytes of every id, packed; spans[id] = (start, end), end == UInt32.max while unseen.
        var raw: [UInt8] = []
        raw.reserveCapacity(vocab.text.count)
        var spans = [(start: UInt32, end: UInt32)](repeating: (0, UInt32.max), count: count)
        var model = BPEModel()
        model.table = ByteTable(minimumCapacity: count)
        for e in vocab.entries {
            let start = raw.count
            if let a = addedById[e.id] {
                guard a.content == vocab.shown(e) else {
                    throw TokenizerError.invalidVocabularyEntry(
                        path: vocabPath, line: Int(e.line), column: Int(e.column), token: vocab.shown(e),
                        reason: "id \(e.id) is also the added token \(quoted(a.content)); the two must agree")
                }
                raw.append(contentsOf: a.content.utf8)  // added tokens are literal text, not byte-level
            } else {
                let ok = vocab.text.withUnsafeBufferPointer {
                    ByteLevel.decode(UnsafeBufferPointer(rebasing: $0[Int(e.start)..<Int(e.end)]), into: &raw)
                }
                guard ok, raw.count > start else {
                    throw TokenizerError.invalidVocabularyEntry(
                        path: vocabPath, line: Int(e.line), column: Int(e.column), token: vocab.shown(e),
                        reason: e.start == e.end ? "empty token" : "holds a character outside GPT-2's byte-level alphabet "
                            + "(bytes are written as the characters U+0021…U+0143; is this a GPT-2-style vocabulary?)")
                }
            }
            if spans[e.id].end != UInt32.max {
                let other = ByteLevel.encode(raw[Int(spans[e.id].start)..<Int(spans[e.id].end)])
                throw TokenizerError.invalidVocabularyEntry(path: vocabPath, line: Int(e.line), column: Int(e.column), token: vocab.shown(e),
                                                            reason: "id \(e.id) is already used by \(quoted(other))")
            }
            let previous = raw.withUnsafeBytes { model.table.set($0.baseAddress! + start, raw.count - start, UInt64(e.id)) }
            if previous != nil {
                throw TokenizerError.invalidVocabularyEntry(path: vocabPath, line: Int(e.line), column: Int(e.column), token: vocab.shown(e),
                                                            reason: "the token appears twice")
            }
            spans[e.id] = (UInt32(start), UInt32(raw.count))
        }
        for a in added.sorted(by: { $0.id < $1.id }) where spans[a.id].end == UInt32.max {
            let bytes = Array(a.content.utf8)
            guard !bytes.isEmpty, model.table.set(bytes, UInt64(a.id)) == nil else {
                throw TokenizerError.invalidVocabularyEntry(path: vocabPath, line: a.line, column: a.column, token: a.content,
                                                            reason: bytes.isEmpty ? "empty added token" : "the added token duplicates another token")
            }
            spans[a.id] = (UInt32(raw.count), UInt32(raw.count + bytes.count))
            raw += bytes
        }
        if let missing = spans.firstIndex(where: { $0.end == UInt32.max }) {
            throw TokenizerError.inconsistentVocabulary(path: vocabPath, reason: "ids must be 0..<\(count) without gaps, but id \(missing) is missing")
        }
        model.tokenBytes.reserveCapacity(raw.count)
        model.tokenOffsets.reserveCapacity(count + 1)
        for span in spans {
            model.tokenBytes += raw[Int(span.start)..<Int(span.end)]
            model.tokenOffsets.append(UInt32(model.tokenBytes.count))
        }

        var ranked = [Bool](repeating: false, count: count)
        var rank = [UInt32](repeating: UInt32.max, count: count)
        for b in 0..<256 {
            guard let id = model.table.get([UInt8(b)]) else {
                throw TokenizerError.inconsistentVocabulary(
                    path: vocabPath, reason: "byte 0x\(String(b, radix: 16, uppercase: true)) (written \(quoted(ByteLevel.encode([UInt8(b)])))) "
                        + "has no token; a byte-level vocabulary needs all 256")
            }
            model.byteIds[b] = UInt32(id)
            ranked[Int(id)] = true
            model.table.set([UInt8(b)], id | rankedFlag)
        }

        // Merges: both parts and their concatenation must be tokens; the first merge producing a token ranks it.
        model.merges.reserveCapacity(merges.entries.count)
        var joined: [UInt8] = []
        // The listed merges go straight into the pair table; the split loop below adds the other splits.
        var pairs = PairTable(minimumCapacity: merges.entries.count * 3)
        var mergeSplit = [UInt16](repeating: 0, count: count)
        try merges.text.withUnsafeBufferPointer { text in
            for (r, m) in merges.entries.enumerated() {
                func fail(_ reason: String) -> TokenizerError {
                    .invalidMerge(path: mergesPath, line: Int(m.line), column: Int(m.column), merge: merges.shown(m), reason: reason)
                }
                joined.removeAll(keepingCapacity: true)
                var ids: (UInt32, UInt32) = (0, 0)
                for (k, range) in [Int(m.start)..<Int(m.split), (Int(m.split) + 1)..<Int(m.end)].enumerated() {
                    let part = UnsafeBufferPointer(rebasing: text[range])
                    let shown = { String(decoding: part, as: UTF8.self) }
                    guard !part.isEmpty else { throw fail("expected two tokens separated by one space") }
                    let start = joined.count
                    guard ByteLevel.decode(part, into: &joined) else {
                        throw fail("\(quoted(shown())) holds a character outside GPT-2's byte-level alphabet")
                    }
                    guard let id = joined.withUnsafeBytes({ model.table.get($0.baseAddress! + start, $0.count - start) }) else {
                        throw fail("\(quoted(shown())) is not in the vocabulary \(vocabPath); are the two files from the same tokenizer?")
                    }
                    if k == 0 { ids.0 = UInt32(id & 0xFFFF_FFFF) } else { ids.1 = UInt32(id & 0xFFFF_FFFF) }
                }
                guard let merged = joined.withUnsafeBytes({ model.table.formUnion($0.baseAddress!, $0.count, rankedFlag) }) else {
                    throw fail("the merged token \(quoted(ByteLevel.encode(joined))) is not in the vocabulary \(vocabPath); "
                        + "are the two files from the same tokenizer?")
                }
                let mid = Int(merged & 0xFFFF_FFFF)
                if !ranked[mid] {
                    ranked[mid] = true
                    rank[mid] = UInt32(r)
                    pairs.insertIfAbsent(ids.0, ids.1, rank: UInt32(r), id: UInt32(mid))
                    mergeSplit[mid] = UInt16(truncatingIfNeeded: model.tokenOffsets[Int(ids.0) + 1] - model.tokenOffsets[Int(ids.0)])
                }
                model.merges.append(ids)
            }
        }

        // Every split of a ranked token into two ranked tokens can merge (tiktoken looks up concatenations).
        let table = model.table
        model.tokenBytes.withUnsafeBytes { all in
            model.tokenOffsets.withUnsafeBufferPointer { offsets in
                for id in 0..<count where rank[id] != UInt32.max {
                    let start = Int(offsets[id]), n = Int(offsets[id + 1]) - start
                    for k in 1..<n where k != Int(mergeSplit[id]) {
                        guard let p = table.get(all.baseAddress! + start, k), p & rankedFlag != 0,
                              let s = table.get(all.baseAddress! + start + k, n - k), s & rankedFlag != 0 else { continue }
                        pairs.insertIfAbsent(UInt32(p & 0xFFFF_FFFF), UInt32(s & 0xFFFF_FFFF), rank: rank[id], id: UInt32(id))
                    }
                }
            }
        }
        model.pairs = pairs

        // Tokens no merge can produce are special: matched whole, only where the caller allows it.
        for id in 0..<count where !ranked[id] {
            model.specials.append((String(decoding: model.bytes(of: id), as: UTF8.self), id))
        }
        guard let eot = model.specials.first(where: { $0.text == endOfText }) else {
            throw TokenizerError.inconsistentVocabulary(
                path: vocabPath, reason: "no \(endOfText) token outside the merges; GPT-2-style vocabularies end with it")
        }
        model.eotId = eot.id
        return model
    }
}
