/// The pre-tokenizer pattern interpreted literally, alternative by alternative, on Unicode scalars.
///
/// Slow and plain on purpose: it is the reference `PreTokenizer` is tested against, so each alternative
/// of `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s` is its own
/// function returning the match length at a position, or nil, with the regex's backtracking spelled out.
public enum PreTokenizerReference {
    public static func split(_ text: String) -> [String] {
        let s = Array(text.unicodeScalars)
        let cls = s.map(ScalarClass.of)
        var pieces: [String] = []
        var i = 0
        while i < s.count {
            let alternatives: [(Int) -> Int?] = [
                { contraction(s, $0) },
                { optionalSpaceThenRun(cls, $0, where: { $0 == .letter }) },
                { optionalSpaceThenRun(cls, $0, where: { $0 == .number }) },
                { optionalSpaceThenRun(cls, $0, where: { $0 == .other }) },
                { possessiveSpacesAtEnd(cls, $0) },
                { spacesNotFollowedByNonSpace(cls, $0) },
                { cls[$0].isWhitespace ? 1 : nil },
            ]
            // Every scalar is space, letter, number or other, so one of the last alternatives always matches.
            let n = alternatives.lazy.compactMap { $0(i) }.first!
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: s[i..<(i + n)])
            pieces.append(String(piece))
            i += n
        }
        return pieces
    }

    /// `'(?:[sdmt]|ll|ve|re)`
    static func contraction(_ s: [Unicode.Scalar], _ i: Int) -> Int? {
        guard s[i] == "'" else { return nil }
        if i + 1 < s.count, "sdmt".unicodeScalars.contains(s[i + 1]) { return 2 }
        for pair in ["ll", "ve", "re"] {
            let p = Array(pair.unicodeScalars)
            if i + 2 < s.count, s[i + 1] == p[0], s[i + 2] == p[1] { return 3 }
        }
        return nil
    }

    /// ` ?X++`: try with the space first, then without (the `?` is greedy, so it backtracks once).
    static func optionalSpaceThenRun(_ cls: [ScalarClass], _ i: Int, where isX: (ScalarClass) -> Bool) -> Int? {
        for start in [i + 1, i] where start == i || cls[i] == .space {
            var j = start
            while j < cls.count && isX(cls[j]) { j += 1 }
            if j > start { return j - i }
        }
        return nil
    }

    /// `\s++$`: all the whitespace, possessively, then the end of the text.
    static func possessiveSpacesAtEnd(_ cls: [ScalarClass], _ i: Int) -> Int? {
        var j = i
        while j < cls.count && cls[j].isWhitespace { j += 1 }
        return j > i && j == cls.count ? j - i : nil
    }

    /// `\s+(?!\S)`: the longest whitespace run whose next character is not a non-space, backtracking.
    static func spacesNotFollowedByNonSpace(_ cls: [ScalarClass], _ i: Int) -> Int? {
        var j = i
        while j < cls.count && cls[j].isWhitespace { j += 1 }
        while j > i {
            if j == cls.count || cls[j].isWhitespace { return j - i }
            j -= 1
        }
        return nil
    }
}
