import Foundation
import Testing
@testable import Tokenizers

/// The fast pre-tokenizer and merge loops against their plain references, and lossless decoding.
struct ReferenceTests {
    func fastPieces(_ s: String) -> [String] {
        var s = s
        return s.withUTF8 { buf in
            var pre = PreTokenizer(buf)
            var out: [String] = []
            while let r = pre.next() { out.append(String(decoding: buf[r], as: UTF8.self)) }
            return out
        }
    }

    @Test func preTokenizerMatchesReferenceOnRandomText() {
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<3000 {
            let s = randomUnicodeString(&rng)
            #expect(fastPieces(s) == PreTokenizerReference.split(s), "\(quoted(s))")
        }
    }

    @Test func preTokenizerKnownSplits() {
        #expect(fastPieces("I'm  here\n\n it's") == ["I", "'m", " ", " here", "\n\n", " it", "'s"])
        #expect(fastPieces("a   ") == ["a", "   "])
        #expect(fastPieces("x\t y") == ["x", "\t", " y"])
        #expect(fastPieces(" 's 'S") == [" '", "s", " '", "S"])
        #expect(fastPieces("abc123!!?") == ["abc", "123", "!!?"])
    }

    @Test func mergesMatchTiktokenStyleReference() throws {
        guard let tok = try Fixtures.gpt2() else { return }
        let m = tok.model
        var ranks: [[UInt8]: Int] = [:], ids: [[UInt8]: Int] = [:]
        for b in 0..<256 { ranks[[UInt8(b)]] = -1 }
        for (r, (a, b)) in m.merges.enumerated() {
            let joined = Array(m.bytes(of: Int(a)) + m.bytes(of: Int(b)))
            if ranks[joined] == nil { ranks[joined] = r }
        }
        for id in 0..<m.vocabSize { ids[Array(m.bytes(of: id))] = id }
        let reference = BPEMergeReference(ranks: ranks, ids: ids)
        var rng = SeededGenerator(seed: 2)
        var pieces = fastPieces(try Fixtures.alpacaEntries().prefix(40).joined(separator: "\n"))
        for _ in 0..<500 { pieces += fastPieces(randomUnicodeString(&rng)) }
        pieces += ["a" + String(repeating: "b", count: 300), String(repeating: "ab", count: 200), String(repeating: "😀", count: 50)]
        for piece in pieces {
            let bytes = Array(piece.utf8)
            let expected = reference.encode(bytes)
            var short: [UInt32] = [], long: [UInt32] = []
            bytes.withUnsafeBufferPointer { p in
                m.mergeShort(p.baseAddress!, p.count, into: &short)
                m.mergeLong(p.baseAddress!, p.count, into: &long)
            }
            // The whole-piece shortcut is the reference's first step; merging reaches the same ids otherwise.
            let direct = ranks[bytes] != nil && ids[bytes] != nil
            if !direct {
                #expect(short.map(Int.init) == expected, "\(quoted(piece))")
                #expect(long.map(Int.init) == expected, "\(quoted(piece))")
            }
            #expect(tok.encode(piece) == expected)
        }
    }

    @Test func decodeEncodeIsLosslessOnRandomUnicode() throws {
        guard let tok = try Fixtures.gpt2() else { return }
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<2000 {
            let s = randomUnicodeString(&rng, maxLength: 60)
            #expect(Array(tok.decode(tok.encode(s)).utf8) == Array(s.utf8), "\(quoted(s))")
        }
    }

    @Test func decodingAPrefixThatEndsInsideACharacterDoesNotCrash() throws {
        guard let tok = try Fixtures.gpt2() else { return }
        let text = "日本語 🙂👨‍👩‍👧 é"
        let ids = tok.encode(text)
        for n in 0...ids.count {
            let prefix = tok.decode(Array(ids.prefix(n)))
            #expect(prefix.unicodeScalars.allSatisfy { $0 != "\u{0}" })
            let bytes = tok.decodeBytes(Array(ids.prefix(n)))
            #expect(Array(text.utf8).starts(with: bytes))
        }
        #expect(tok.decode([-1, 99_999]) == "\u{FFFD}\u{FFFD}")
    }

    @Test func concurrentEncodingGivesTheSameIds() async throws {
        guard let tok = try Fixtures.gpt2() else { return }
        let texts = try Array(Fixtures.alpacaEntries().prefix(64))
        let expected = texts.map { tok.encode($0) }
        let results = await withTaskGroup(of: (Int, [Int]).self) { group in
            for (k, t) in texts.enumerated() { group.addTask { (k, tok.encode(t)) } }
            var out = [[Int]](repeating: [], count: texts.count)
            for await (k, ids) in group { out[k] = ids }
            return out
        }
        #expect(results == expected)
    }
}
