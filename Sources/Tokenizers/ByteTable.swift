import Foundation

/// A hash map from byte strings to 64-bit values, looked up by pointer and length without building a key.
///
/// Encoding asks "is this slice of the input a token / a cached word?" once per pre-token; a Swift
/// `Dictionary<[UInt8], …>` would allocate an array and hash byte by byte for each question. Keys of up
/// to 8 bytes (most tokens and words) live inside the slot, so a lookup touches one slot and nothing
/// else; longer keys keep their bytes in one arena and a 64-bit hash in the slot.
struct ByteTable {
    private struct Slot {
        var word: UInt64 = 0  // the key's bytes (little-endian, zero-padded) if ≤ 8 bytes, else its hash
        var offset: UInt32 = 0  // of a long key's bytes in the arena
        var length: UInt32 = 0  // 0 marks an empty slot; the empty key is never stored
        var value: UInt64 = 0
    }

    private var slots: [Slot]
    private var mask: Int
    private var arena: [UInt8] = []
    private(set) var count = 0

    init(minimumCapacity: Int = 16) {
        var cap = 16
        while cap < minimumCapacity * 2 { cap <<= 1 }
        slots = [Slot](repeating: Slot(), count: cap)
        mask = cap - 1
    }

    /// Bytes held by long keys (to bound caches).
    var arenaSize: Int { arena.count }

    static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        // Multiply-rotate over 8-byte words (wyhash-like); quality is ample for a probing table.
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(n &+ 1)
        var i = 0
        while i + 8 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h = (h << 31) | (h >> 33)
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                w |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
            }
            h = (h ^ w) &* 0x94D0_49BB_1331_11EB
        }
        return mix(h)
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return h
    }

    /// (slot word, probe start) of a key.
    @inline(__always)
    static func signature(_ p: UnsafeRawPointer, _ n: Int) -> (word: UInt64, hash: UInt64) {
        if n == 8 {
            let w = p.loadUnaligned(as: UInt64.self)
            return (w, mix(w &* 0x9E37_79B9_7F4A_7C15 ^ 8))
        }
        if n < 8 {
            var w: UInt64 = 0
            for i in 0..<n { w |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << UInt64(8 * i) }
            return (w, mix(w &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)))
        }
        let h = hash(p, n)
        return (h, h)
    }

    @inline(__always)
    func get(_ p: UnsafeRawPointer, _ n: Int) -> UInt64? {
        guard n > 0 else { return nil }
        let (word, h) = ByteTable.signature(p, n)
        return slots.withUnsafeBufferPointer { s in
            var i = Int(truncatingIfNeeded: h) & mask
            while true {
                let slot = s[i]
                if slot.length == 0 { return nil }
                if slot.word == word && Int(slot.length) == n
                    && (n <= 8 || arena.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(slot.offset), p, n) == 0 }) {
                    return slot.value
                }
                i = (i + 1) & mask
            }
        }
    }

    func get(_ key: [UInt8]) -> UInt64? {
        key.withUnsafeBytes { get($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
    }

    /// Inserts or replaces; returns the previous value. Empty keys are ignored.
    @discardableResult
    mutating func set(_ p: UnsafeRawPointer, _ n: Int, _ value: UInt64) -> UInt64? {
        guard n > 0 else { return nil }
        if (count + 1) * 2 > slots.count { grow() }
        let (word, h) = ByteTable.signature(p, n)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = slots[i]
            if slot.length == 0 { break }
            if slot.word == word && Int(slot.length) == n
                && (n <= 8 || arena.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(slot.offset), p, n) == 0 }) {
                slots[i].value = value
                return slot.value
            }
            i = (i + 1) & mask
        }
        var offset = 0
        if n > 8 {
            offset = arena.count
            arena.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n))
        }
        slots[i] = Slot(word: word, offset: UInt32(offset), length: UInt32(n), value: value)
        count += 1
        return nil
    }

    /// ORs `bits` into the value of an existing key in one probe; returns the value before, or nil
    /// (and changes nothing) when the key is absent.
    mutating func formUnion(_ p: UnsafeRawPointer, _ n: Int, _ bits: UInt64) -> UInt64? {
        guard n > 0 else { return nil }
        let (word, h) = ByteTable.signature(p, n)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = slots[i]
            if slot.length == 0 { return nil }
            if slot.word == word && Int(slot.length) == n
                && (n <= 8 || arena.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(slot.offset), p, n) == 0 }) {
                slots[i].value = slot.value | bits
                return slot.value
            }
            i = (i + 1) & mask
        }
    }

    @discardableResult
    mutating func set(_ key: [UInt8], _ value: UInt64) -> UInt64? {
        key.withUnsafeBytes { set($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count, value) }
    }

    mutating func removeAll() {
        for i in slots.indices { slots[i] = Slot() }
        arena.removeAll(keepingCapacity: true)
        count = 0
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot.length != 0 {
            // Recover the probe start: short keys from their inline bytes, long keys from their hash.
            let h = slot.length <= 8 ? ByteTable.mix(slot.word &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(slot.length)) : slot.word
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i].length != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
    }
}

/// Open-addressing map from a pair of token ids to (rank, merged id): the BPE merge table.
struct PairTable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(minimumCapacity: Int) {
        var cap = 16
        while cap < minimumCapacity * 2 { cap <<= 1 }
        keys = [UInt64](repeating: PairTable.empty, count: cap)
        values = [UInt64](repeating: 0, count: cap)
        mask = cap - 1
    }

    @inline(__always)
    static func key(_ a: UInt32, _ b: UInt32) -> UInt64 { UInt64(a) << 32 | UInt64(b) }

    @inline(__always)
    private static func slot(_ k: UInt64) -> Int {
        var h = k &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 32
        return Int(truncatingIfNeeded: h)
    }

    /// (rank, merged id) of the pair, or nil when the two tokens do not merge.
    @inline(__always)
    func get(_ a: UInt32, _ b: UInt32) -> (rank: UInt32, id: UInt32)? {
        let k = PairTable.key(a, b)
        return keys.withUnsafeBufferPointer { ks in
            var i = PairTable.slot(k) & mask
            while true {
                let x = ks[i]
                if x == k {
                    let v = values[i]
                    return (UInt32(truncatingIfNeeded: v >> 32), UInt32(truncatingIfNeeded: v))
                }
                if x == PairTable.empty { return nil }
                i = (i + 1) & mask
            }
        }
    }

    /// Inserts unless present (the first, lowest-ranked entry wins).
    mutating func insertIfAbsent(_ a: UInt32, _ b: UInt32, rank: UInt32, id: UInt32) {
        if (count + 1) * 2 > keys.count { grow() }
        let k = PairTable.key(a, b)
        var i = PairTable.slot(k) & mask
        while keys[i] != PairTable.empty {
            if keys[i] == k { return }
            i = (i + 1) & mask
        }
        keys[i] = k
        values[i] = UInt64(rank) << 32 | UInt64(id)
        count += 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: PairTable.empty, count: oldKeys.count * 2)
        values = [UInt64](repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        for (j, k) in oldKeys.enumerated() where k != PairTable.empty {
            var i = PairTable.slot(k) & mask
            while keys[i] != PairTable.empty { i = (i + 1) & mask }
            keys[i] = k
            values[i] = oldValues[j]
        }
    }
}
