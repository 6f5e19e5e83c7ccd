import Foundation
import Testing
@testable import Tokenizers

struct TrainerTests {
    static let corpus: [String] = (0..<300).map { i in
        let animals = ["cat", "dog", "bird", "fish", "horse"], verbs = ["runs", "jumps", "sleeps", "eats"]
        return "The \(animals[i % 5]) \(verbs[i % 4]) \(i % 7) times. It's the \(animals[(i + 2) % 5])'s turn.<|endoftext|>"
    }

    @Test func trainsToTheRequestedSizeDeterministically() throws {
        let a = try BPETrainer.train(Self.corpus, vocabSize: 300)
        let b = try BPETrainer.train(Self.corpus.reversed().reversed(), vocabSize: 300)
        #expect(a.vocabSize == 300 && a.eotId == 299 && a.specialTokens == ["<|endoftext|>": 299])
        #expect(a.mergeCount == 43)
        #expect(a.mergesText() == b.mergesText() && a.vocabularyJSON(literalSpecials: false) == b.vocabularyJSON(literalSpecials: false))
        // Single bytes keep GPT-2's ids.
        #expect(a.encode("!") == [0] && a.encode("A") == [32])
        // Frequent words became single tokens; special text was never merged into the vocabulary.
        #expect(a.encode(" times").count == 1)
        let bytes = Self.corpus.joined().utf8.count
        #expect(Self.corpus.map { a.encode($0).count }.reduce(0, +) < bytes / 2)
        #expect(a.id(ofTokenBytes: Array("<|".utf8)) == nil)
        #expect(a.encode("<|endoftext|>", allowedSpecial: ["<|endoftext|>"]) == [299])
    }

    @Test func tieBreakPrefersEarlierTokens() throws {
        // "ab" and "cd" occur equally often: the pair of smaller ids ("a"=64, "b"=65) merges first.
        let tok = try BPETrainer.train(["cd ab", "ab cd"], vocabSize: 258, minFrequency: 1)
        #expect(tok.mergeCount == 1)
        #expect(tok.tokenBytes(256) == Array("ab".utf8))
    }

    @Test(arguments: TokenizerFileFormat.allCases)
    func trainedFilesReadBack(format: TokenizerFileFormat) throws {
        let tok = try BPETrainer.train(Self.corpus, vocabSize: 320, specialTokens: ["<|endoftext|>", "<|pad|>"])
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try tok.save(to: dir, format: format)
        let back = try BPETokenizer.load(directory: dir)
        #expect(back.vocabSize == tok.vocabSize && back.mergeCount == tok.mergeCount)
        #expect(back.specialTokens == tok.specialTokens)
        for text in Self.corpus.prefix(20) + ["unseen wörds 🙂 and <|pad|> text"] {
            #expect(back.encode(text, allowedSpecial: back.allSpecialTokens) == tok.encode(text, allowedSpecial: tok.allSpecialTokens))
            #expect(back.decode(back.encode(text)) == text)
        }
    }

    @Test func badParametersAreErrors() {
        #expect(throws: TokenizerError.self) { try BPETrainer.train(["x"], vocabSize: 100) }
        #expect(throws: TokenizerError.self) { try BPETrainer.train(["x"], vocabSize: 300, specialTokens: [""]) }
        #expect(throws: TokenizerError.self) { try BPETrainer.train(["x"], vocabSize: 300, minFrequency: 0) }
    }

    @Test func stopsWhenNoPairIsFrequentEnough() throws {
        let tok = try BPETrainer.train(["abc"], vocabSize: 1000)
        #expect(tok.mergeCount == 0 && tok.vocabSize == 257)
    }
}
