/// A vocabulary entry as read from a file: its text in GPT-2's byte-level alphabet, id and position.
struct VocabEntry {
    var text: [UInt8]
    var id: Int
    var line: Int
    var column: Int
}

/// One merge rule as read from a file, parts in the byte-level alphabet.
struct MergeEntry {
    var left: [UInt8]
    var right: [UInt8]
    var line: Int
    var column: Int

    var display: String { String(decoding: left, as: UTF8.self) + " " + String(decoding: right, as: UTF8.self) }
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
    static func build(vocab: [VocabEntry], vocabPath: String, merges: [MergeEntry], mergesPath: String,
                      added: [AddedToken] = []) throws -> BPEModel {
        let maxId = 1 << 24
        var byId: [[UInt8]?] = []
        var addedById: [Int: AddedToken] = [:]
        for a in added {
            guard a.id >= 0 && a.id < maxId else {
                throw TokenizerError.invalidVocabularyEntry(path: vocabPath, line: a.line, column: a.column, token: a.content,
                                                            reason: "id \(a.id) is out of range (0..<\(maxId))")
            }
            addedById[a.id] = a
        }
        var model = BPEModel()
        model.table = ByteTable(minimumCapacity: vocab.count + added.count)
        for e in vocab {
            let shown = String(decoding: e.text, as: UTF8.self)
            guard e.id >= 0 && e.id < maxId else {
                throw TokenizerError.invalidVocabularyEntry(path: vocabPath, line: e.line, column: e.column, token: shown,
                                                            reason: "id \(e.id) is out of range (0..<\(maxId))")
            }
            let raw: [UInt8]
            if let a = addedById[e.id] {
                guard a.content == shown else {
                    throw TokenizerError.invalidVocabularyEntry(
                        path: vocabPath, line: e.line, column: e.column, token: shown,
                        reason: "id \(e.id) is also the added token \(quoted(a.content)); the two must agree")
                }
                raw = Array(a.content.utf8)  // added tokens are literal text, not byte-level
            } else if let r = ByteLevel.decode(utf8: e.text), !r.isEmpty {
                raw = r
            } else {
                throw TokenizerError.invalidVocabularyEntry(
                    path: vocabPath, line: e.line, column: e.column, token: shown,
                    reason: e.text.isEmpty ? "empty token" : "holds a character outside GPT-2's byte-level alphabet "
                        + "(bytes are written as the characters U+0021…U+0143; is this a GPT-2-style vocabulary?)")
            }
            if byId.count <= e.id { byId += [[UInt8]?](repeating: nil, count: e.id + 1 - byId.count) }
            if let other = byId[e.id] {
                throw TokenizerError.invalidVocabularyEntry(path: vocabPath, line: e.line, column: e.column, token: shown,
                                                            reason: "id \(e.id) is already used by \(quoted(ByteLevel.encode(other)))")
            }
            if model.table.set(raw, UInt64(e.id)) != nil {
                throw TokenizerError.invalidVocabularyEntry(path: vocabPath, line: e.line, column: e.column, token: shown,
                                                            reason: "the token appears twice")
            }
            byId[e.id] = raw
        }
        for a in added.sorted(by: { $0.id < $1.id }) {
            if byId.count <= a.id { byId += [[UInt8]?](repeating: nil, count: a.id + 1 - byId.count) }
            if byId[a.id] != nil { continue }
            let raw = Array(a.content.utf8)
            guard !raw.isEmpty, model.table.set(raw, UInt64(a.id)) == nil else {
                throw TokenizerError.invalidVocabularyEntry(path: vocabPath, line: a.line, column: a.column, token: a.content,
                                                            reason: raw.isEmpty ? "empty added token" : "the added token duplicates another token")
            }
            byId[a.id] = raw
        }
        if let missing = byId.firstIndex(where: { $0 == nil }) {
            throw TokenizerError.inconsistentVocabulary(path: vocabPath, reason: "ids must be 0..<\(byId.count) without gaps, but id \(missing) is missing")
        }
        guard !byId.isEmpty else { throw TokenizerError.inconsistentVocabulary(path: vocabPath, reason: "the vocabulary is empty") }
        model.tokenBytes.reserveCapacity(byId.count * 8)
        model.tokenOffsets.reserveCapacity(byId.count + 1)
        for raw in byId {
            model.tokenBytes += raw!
            model.tokenOffsets.append(UInt32(model.tokenBytes.count))
        }
        var ranked = [Bool](repeating: false, count: byId.count)
        var rank = [UInt32](repeating: UInt32.max, count: byId.count)
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
        model.merges.reserveCapacity(merges.count)
        for (r, m) in merges.enumerated() {
            func fail(_ reason: String) -> TokenizerError {
                .invalidMerge(path: mergesPath, line: m.line, column: m.column, merge: m.display, reason: reason)
            }
            var ids: [UInt32] = []
            var joined: [UInt8] = []
            for part in [m.left, m.right] {
                let shown = String(decoding: part, as: UTF8.self)
                guard !part.isEmpty else { throw fail("expected two tokens separated by one space") }
                guard let raw = ByteLevel.decode(utf8: part) else {
                    throw fail("\(quoted(shown)) holds a character outside GPT-2's byte-level alphabet")
                }
                guard let id = model.table.get(raw) else {
                    throw fail("\(quoted(shown)) is not in the vocabulary \(vocabPath); are the two files from the same tokenizer?")
                }
                ids.append(UInt32(id & 0xFFFF_FFFF))
                joined += raw
            }
            guard let merged = model.table.get(joined) else {
                throw fail("the merged token \(quoted(ByteLevel.encode(joined))) is not in the vocabulary \(vocabPath); "
                    + "are the two files from the same tokenizer?")
            }
            let mid = Int(merged & 0xFFFF_FFFF)
            if !ranked[mid] {
                ranked[mid] = true
                rank[mid] = UInt32(r)
                model.table.set(joined, UInt64(mid) | rankedFlag)
            }
            model.merges.append((ids[0], ids[1]))
        }

        // Every split of a ranked token into two ranked tokens can merge (tiktoken looks up concatenations).
        model.pairs = PairTable(minimumCapacity: merges.count * 3)
        model.tokenBytes.withUnsafeBytes { all in
            for id in 0..<byId.count where ranked[id] && rank[id] != UInt32.max {
                let start = Int(model.tokenOffsets[id]), n = Int(model.tokenOffsets[id + 1]) - start
                for k in 1..<n {
                    guard let p = model.table.get(all.baseAddress! + start, k), p & rankedFlag != 0,
                          let s = model.table.get(all.baseAddress! + start + k, n - k), s & rankedFlag != 0 else { continue }
                    model.pairs.insertIfAbsent(UInt32(p & 0xFFFF_FFFF), UInt32(s & 0xFFFF_FFFF), rank: rank[id], id: UInt32(id))
                }
            }
        }

        // Tokens no merge can produce are special: matched whole, only where the caller allows it.
        for id in 0..<byId.count where !ranked[id] {
            model.specials.append((String(decoding: byId[id]!, as: UTF8.self), id))
        }
        guard let eot = model.specials.first(where: { $0.text == endOfText }) else {
            throw TokenizerError.inconsistentVocabulary(
                path: vocabPath, reason: "no \(endOfText) token outside the merges; GPT-2-style vocabularies end with it")
        }
        model.eotId = eot.id
        return model
    }
}
