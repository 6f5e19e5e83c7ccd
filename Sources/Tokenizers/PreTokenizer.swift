/// GPT-2's pre-tokenizer, written out by hand over UTF-8 bytes.
///
/// It reproduces, match for match, tiktoken's `r50k` pattern
/// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`:
/// the alternatives are tried in order at each position, and the leftmost that matches wins. Worked out:
/// - an apostrophe followed by lowercase `s d m t` / `ll ve re` is a piece (case-sensitive, like tiktoken);
/// - otherwise a run of letters, of numbers, or of "other" characters (neither space, letter nor number —
///   an apostrophe included) is a piece, optionally preceded by one U+0020;
/// - a whitespace run reaching the end of the text is one piece; a longer run followed by a non-space
///   leaves its last character to the next piece (which then starts with it: ` word`, or a lone `\n`);
///   a single whitespace character before a non-space is its own piece.
/// `\s++$` and `\s+(?!\S)` give the same piece whenever the run reaches the end, so one branch covers both.
/// `PreTokenizerReference` is the literal alternative-by-alternative version this one is tested against.
struct PreTokenizer {
    private let base: UnsafePointer<UInt8>
    private let end: Int
    private var position = 0

    /// `bytes` must be valid UTF-8 (it comes from a Swift `String`) and outlive the iterator.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        end = bytes.count
    }

    /// Class and UTF-8 length of the scalar starting at byte `i`.
    @inline(__always)
    private func scalarClass(at i: Int) -> (ScalarClass, Int) {
        let b0 = base[i]
        if b0 < 0x80 { return (ScalarClass(rawValue: ScalarClass.ascii[Int(b0)])!, 1) }
        return nonASCIIClass(at: i)
    }

    private func nonASCIIClass(at i: Int) -> (ScalarClass, Int) {
        let b0 = UInt32(base[i])
        if b0 < 0xE0 {
            let v = (b0 & 0x1F) << 6 | UInt32(base[i + 1] & 0x3F)
            return (ScalarClass(rawValue: ScalarClass.basicPlane[Int(v)])!, 2)
        }
        if b0 < 0xF0 {
            let v = (b0 & 0x0F) << 12 | UInt32(base[i + 1] & 0x3F) << 6 | UInt32(base[i + 2] & 0x3F)
            return (ScalarClass(rawValue: ScalarClass.basicPlane[Int(v)])!, 3)
        }
        let v = (b0 & 0x07) << 18 | UInt32(base[i + 1] & 0x3F) << 12 | UInt32(base[i + 2] & 0x3F) << 6 | UInt32(base[i + 3] & 0x3F)
        return (ScalarClass.of(Unicode.Scalar(v) ?? "\u{FFFD}"), 4)
    }

    /// End of the run of `cls` characters that starts at `i`.
    @inline(__always)
    private func runEnd(of cls: ScalarClass, from start: Int) -> Int {
        var i = start
        while i < end {
            let b = base[i]
            if b < 0x80 {
                if ScalarClass.ascii[Int(b)] != cls.rawValue { return i }
                i += 1
            } else {
                let (c, n) = nonASCIIClass(at: i)
                if c != cls { return i }
                i += n
            }
        }
        return i
    }

    /// Byte range of the next piece, or nil at the end of the text.
    @inline(__always)
    mutating func next() -> Range<Int>? {
        let i = position
        guard i < end else { return nil }
        let j = pieceEnd(from: i)
        position = j
        return i..<j
    }

    private func pieceEnd(from i: Int) -> Int {
        let b0 = base[i]
        if b0 == UInt8(ascii: "'") && i + 1 < end {
            let b1 = base[i + 1]
            if b1 == UInt8(ascii: "s") || b1 == UInt8(ascii: "d") || b1 == UInt8(ascii: "m") || b1 == UInt8(ascii: "t") {
                return i + 2
            }
            if i + 2 < end {
                let b2 = base[i + 2]
                if (b1 == UInt8(ascii: "l") && b2 == UInt8(ascii: "l")) || (b1 == UInt8(ascii: "v") && b2 == UInt8(ascii: "e"))
                    || (b1 == UInt8(ascii: "r") && b2 == UInt8(ascii: "e")) {
                    return i + 3
                }
            }
        }
        let (c0, n0) = scalarClass(at: i)
        switch c0 {
        case .letter, .number, .other:
            return runEnd(of: c0, from: i + n0)
        case .space:
            if i + 1 < end {
                let (c1, n1) = scalarClass(at: i + 1)
                if !c1.isWhitespace { return runEnd(of: c1, from: i + 1 + n1) }
            }
            return whitespaceEnd(from: i, first: n0)
        case .whitespace:
            return whitespaceEnd(from: i, first: n0)
        }
    }

    private func whitespaceEnd(from i: Int, first n0: Int) -> Int {
        var j = i + n0
        var lastStart = i
        while j < end {
            let (c, n) = scalarClass(at: j)
            if !c.isWhitespace { break }
            lastStart = j
            j += n
        }
        if j == end { return end }  // \s++$
        if lastStart > i { return lastStart }  // \s+(?!\S): leave the last one
        return i + n0  // \s
    }
}
