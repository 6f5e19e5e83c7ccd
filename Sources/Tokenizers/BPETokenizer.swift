import Foundation

/// GPT-2-style byte-level BPE, id for id identical to tiktoken's `gpt2` encoding when given GPT-2's files.
///
/// Load with `BPETokenizer.load(directory:)` (or one of the format-specific loaders), train with
/// `BPETrainer`, write with `save(to:format:)`. Instances are immutable apart from a cache of words
/// already merged; concurrent callers each get correct results (a caller finding the cache busy uses a
/// private one for that call).
public final class BPETokenizer: Tokenizer, @unchecked Sendable {
    let model: BPEModel
    public let specialTokens: [String: Int]
    private let cache = EncodeCache()
    private let cacheLock = NSLock()

    init(model: BPEModel) {
        self.model = model
        var specials: [String: Int] = [:]
        for s in model.specials { specials[s.text] = s.id }
        specialTokens = specials
    }

    public var vocabSize: Int { model.vocabSize }
    public var eotId: Int { model.eotId }
    /// Number of merge rules.
    public var mergeCount: Int { model.merges.count }

    /// Raw bytes of one token (nil when out of range).
    public func tokenBytes(_ id: Int) -> [UInt8]? {
        id >= 0 && id < model.vocabSize ? Array(model.bytes(of: id)) : nil
    }

    /// Id of a token given as raw bytes, if the vocabulary has it.
    public func id(ofTokenBytes bytes: [UInt8]) -> Int? {
        model.table.get(bytes).map { Int($0 & 0xFFFF_FFFF) }
    }

    public func encode(_ text: String, allowedSpecial: Set<String>) -> [Int] {
        encodeIds(text, allowedSpecial: allowedSpecial).map { Int($0) }
    }

    /// Same as `encode`, as 32-bit ids (what training batches store).
    public func encodeIds(_ text: String, allowedSpecial: Set<String> = []) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        withCache { cache in
            var text = text
            text.withUTF8 { buf in
                let allowed = allowedSpecial.isEmpty ? [] : model.specials.filter { allowedSpecial.contains($0.text) }
                if allowed.isEmpty {
                    encodeOrdinary(buf, into: &out, cache: cache)
                } else {
                    encodeWithSpecials(buf, allowed: allowed, into: &out, cache: cache)
                }
            }
        }
        return out
    }

    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        model.tokenBytes.withUnsafeBufferPointer { bytes in
            model.tokenOffsets.withUnsafeBufferPointer { offsets in
                for id in ids {
                    if id >= 0 && id < offsets.count - 1 {
                        out.append(contentsOf: bytes[Int(offsets[id])..<Int(offsets[id + 1])])
                    } else {
                        out += [0xEF, 0xBF, 0xBD]  // U+FFFD
                    }
                }
            }
        }
        return out
    }

    /// Forgets the words merged so far (benchmarks use it to measure from a cold cache).
    public func clearCache() {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        cache.table.removeAll()
        cache.ids.removeAll()
    }

    // MARK: - Encoding internals

    private func withCache<R>(_ body: (EncodeCache) -> R) -> R {
        if cacheLock.try() {
            defer { cacheLock.unlock() }
            return body(cache)
        }
        return body(EncodeCache())
    }

    private func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt32], cache: EncodeCache) {
        guard let base = text.baseAddress else { return }
        var pre = PreTokenizer(text)
        while let r = pre.next() {
            encodePiece(base + r.lowerBound, r.count, into: &out, cache: cache)
        }
    }

    @inline(__always)
    private func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32], cache: EncodeCache) {
        if n == 1 {
            out.append(model.byteIds[Int(p[0])])
            return
        }
        if let v = model.table.get(p, n), v & BPEModel.rankedFlag != 0 {
            out.append(UInt32(truncatingIfNeeded: v))
            return
        }
        if let v = cache.table.get(p, n) {
            let start = Int(v >> 32), count = Int(v & 0xFFFF_FFFF)
            out.append(contentsOf: cache.ids[start..<(start + count)])
            return
        }
        let start = out.count
        model.merge(p, n, into: &out)
        cache.insert(p, n, out[start...])
    }

    /// Splits the text at allowed special tokens (leftmost first, longest at one position) and encodes
    /// the segments between them separately, as tiktoken does (so `\s++$` applies at a segment's end).
    private func encodeWithSpecials(_ text: UnsafeBufferPointer<UInt8>, allowed: [(text: String, id: Int)],
                                    into out: inout [UInt32], cache: EncodeCache) {
        let specials = allowed.map { (bytes: Array($0.text.utf8), id: UInt32($0.id)) }
        var segmentStart = 0
        var i = 0
        while i < text.count {
            var match: (length: Int, id: UInt32)? = nil
            for s in specials where s.bytes.count <= text.count - i && s.bytes[0] == text[i] {
                if (match == nil || s.bytes.count > match!.length)
                    && s.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, text.baseAddress! + i, s.bytes.count) == 0 }) {
                    match = (s.bytes.count, s.id)
                }
            }
            if let m = match {
                encodeOrdinary(UnsafeBufferPointer(rebasing: text[segmentStart..<i]), into: &out, cache: cache)
                out.append(m.id)
                i += m.length
                segmentStart = i
            } else {
                i += 1
            }
        }
        encodeOrdinary(UnsafeBufferPointer(rebasing: text[segmentStart..<text.count]), into: &out, cache: cache)
    }
}

/// Ids of pre-tokens already merged, so a repeated word costs one hash lookup.
final class EncodeCache {
    var table = ByteTable(minimumCapacity: 4096)
    var ids: [UInt32] = []
    /// Bounded so that encoding an endless stream of distinct words does not grow memory without limit.
    static let maxEntries = 1 << 18

    func insert(_ p: UnsafePointer<UInt8>, _ n: Int, _ merged: ArraySlice<UInt32>) {
        if table.count >= EncodeCache.maxEntries {
            table.removeAll()
            ids.removeAll(keepingCapacity: true)
        }
        let start = ids.count
        ids.append(contentsOf: merged)
        table.set(p, n, UInt64(start) << 32 | UInt64(merged.count))
    }
}
