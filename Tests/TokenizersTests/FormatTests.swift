import Foundation
import Testing
import TestSupport
@testable import Tokenizers

/// OpenAI's pair of files, Hugging Face's pair and `tokenizer.json` give the same ids. The Hugging Face
/// layouts are derived from ../shared/data into a temporary directory (never committed).
struct FormatTests {
    static let sample = "Hello world! It's 2024 — naïve café, 你好 🙂\n\n  spaces\tand tabs  "

    /// Builds vocab.json + merges.txt (copies) and tokenizer.json (old "a b" or new [a, b] merges).
    func deriveHuggingFaceLayouts(pairs: Bool) throws -> URL {
        let dir = try Fixtures.temporaryDirectory()
        let encoder = try Data(contentsOf: SharedData.url("gpt2/encoder.json"))
        let merges = try String(contentsOf: SharedData.url("gpt2/vocab.bpe"), encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("hf"), withIntermediateDirectories: true)
        try encoder.write(to: dir.appendingPathComponent("hf/vocab.json"))
        try merges.write(to: dir.appendingPathComponent("hf/merges.txt"), atomically: true, encoding: .utf8)
        let lines = merges.split(separator: "\n").dropFirst().map(String.init)
        let mergeItems: [Any] = pairs ? lines.map { $0.split(separator: " ").map(String.init) } : lines
        let vocab = try JSONSerialization.jsonObject(with: encoder)
        let json: [String: Any] = [
            "version": "1.0",
            "added_tokens": [["id": 50256, "content": "<|endoftext|>", "special": true]],
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false],
            "model": ["type": "BPE", "vocab": vocab, "merges": mergeItems],
        ]
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tj"), withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted]).write(to: dir.appendingPathComponent("tj/tokenizer.json"))
        return dir
    }

    @Test(arguments: [false, true])
    func threeFormatsGiveTheSameIds(pairs: Bool) throws {
        guard let gpt2 = try Fixtures.gpt2() else { return }
        let dir = try deriveHuggingFaceLayouts(pairs: pairs)
        defer { try? FileManager.default.removeItem(at: dir) }
        let hf = try BPETokenizer.load(vocabJSON: dir.appendingPathComponent("hf/vocab.json"), mergesTxt: dir.appendingPathComponent("hf/merges.txt"))
        let tj = try BPETokenizer.load(tokenizerJSON: dir.appendingPathComponent("tj/tokenizer.json"))
        let viaDirectory = try BPETokenizer.load(directory: dir.appendingPathComponent("tj"))
        let texts = [Self.sample] + (try Fixtures.alpacaEntries().prefix(50))
        for t in texts {
            let ids = gpt2.encode(t)
            #expect(hf.encode(t) == ids)
            #expect(tj.encode(t) == ids)
            #expect(viaDirectory.encode(t) == ids)
        }
        #expect(tj.eotId == 50256 && hf.eotId == 50256 && tj.vocabSize == 50257)
        #expect(tj.encode("<|endoftext|>", allowedSpecial: ["<|endoftext|>"]) == [50256])
    }

    @Test(arguments: TokenizerFileFormat.allCases)
    func savedGPT2ReadsBackIdentically(format: TokenizerFileFormat) throws {
        guard let gpt2 = try Fixtures.gpt2() else { return }
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try gpt2.save(to: dir, format: format)
        let back = try BPETokenizer.load(directory: dir)
        #expect(back.vocabSize == gpt2.vocabSize && back.mergeCount == gpt2.mergeCount && back.eotId == 50256)
        #expect(back.encode(Self.sample) == gpt2.encode(Self.sample))
        if format != .tokenizerJSON {
            // OpenAI's own files come back byte for byte (modulo layout): same merges text.
            let original = try String(contentsOf: SharedData.url("gpt2/vocab.bpe"), encoding: .utf8)
            let saved = try String(contentsOf: dir.appendingPathComponent(format.fileNames[1]), encoding: .utf8)
            #expect(saved.split(separator: "\n").dropFirst() == original.split(separator: "\n").dropFirst())
        }
    }
}
