import Foundation
import TestSupport
import Testing
@testable import Tokenizers

/// Corrupt or mismatched files are errors naming the file and line (hand-made files in Fixtures/tokenizer/corrupt).
struct LoadErrorTests {
    /// The hand-made layouts are committed as `encoder-json` and `vocab-bpe`, so that nothing mistakes them for
    /// copies of the real GPT-2 files; the tests read them under their real names from a temporary `corrupt/`.
    static let corrupt: URL = {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("finch-tokenizer-\(UUID().uuidString)/corrupt")
        let source = Fixtures.url("corrupt")
        let realName = ["encoder-json": "encoder.json", "vocab-bpe": "vocab.bpe"]
        for layout in (try? fm.contentsOfDirectory(atPath: source.path)) ?? [] {
            let dir = root.appendingPathComponent(layout)
            try? fm.createDirectory(at: dir, withIntermediateDirectories: true)
            for file in (try? fm.contentsOfDirectory(atPath: source.appendingPathComponent(layout).path)) ?? [] {
                try? fm.copyItem(at: source.appendingPathComponent("\(layout)/\(file)"),
                                 to: dir.appendingPathComponent(realName[file] ?? file))
            }
        }
        return root
    }()

    func load(_ name: String) throws -> BPETokenizer {
        try BPETokenizer.load(directory: Self.corrupt.appendingPathComponent(name))
    }

    func message(_ name: String) -> String {
        do {
            _ = try load(name)
            return "no error"
        } catch {
            return (error as? LocalizedError)?.errorDescription ?? "\(error)"
        }
    }

    @Test func validTinyVocabularyLoads() throws {
        let tok = try load("valid")
        #expect(tok.vocabSize == 260 && tok.eotId == 259 && tok.mergeCount == 3)
        #expect(tok.encode(" the") == [258])
        #expect(tok.decode(tok.encode("the other")) == "the other")
    }

    @Test(arguments: [
        ("merge_part_missing", "vocab.bpe:4: error: merge \"Ġt hx\": \"hx\" is not in the vocabulary"),
        ("merge_result_missing", "vocab.bpe:4: error: merge \"Ġt he\": the merged token \"Ġthe\" is not in the vocabulary"),
        ("merge_line_malformed", "vocab.bpe:3: error: merge \"h e x\": expected two tokens separated by one space"),
        ("bad_json", "encoder.json:66:7: error: expected ':' after an object key"),
        ("truncated_json", "encoder.json:"),
        ("id_not_integer", "encoder.json:259:3: error: vocabulary entry \"he\": the id must be an integer, not a string"),
        ("duplicate_id", "encoder.json:259:3: error: vocabulary entry \"he\": id 256 is already used by \"Ġt\""),
        ("missing_byte", "encoder.json: error: byte 0x51 (written \"Q\") has no token"),
        ("no_endoftext", "encoder.json: error: no <|endoftext|> token"),
        ("outside_alphabet", "encoder.json:261:3: error: vocabulary entry \"tab\\there\": holds a character outside GPT-2's byte-level alphabet"),
        ("not_bpe", "tokenizer.json: error: model.type is \"WordPiece\", not \"BPE\""),
    ])
    func corruptFileIsAnErrorNamingFileAndLine(name: String, expected: String) {
        let m = message(name)
        #expect(m.contains(expected), "got: \(m)")
        #expect(m.contains("corrupt/\(name)/"), "the path is named: \(m)")
    }

    @Test func truncatedJSONSaysSo() {
        #expect(message("truncated_json").contains("truncated"))
    }

    @Test func missingFilesAreNamed() {
        let dir = Self.corrupt.appendingPathComponent("does-not-exist")
        #expect(throws: TokenizerError.noTokenizerFiles(directory: dir.path)) { try BPETokenizer.load(directory: dir) }
        let missing = Self.corrupt.appendingPathComponent("valid/nope.json")
        #expect(throws: TokenizerError.missingFile(path: missing.path)) {
            try BPETokenizer.load(encoderJSON: missing, vocabBPE: Self.corrupt.appendingPathComponent("valid/vocab.bpe"))
        }
    }

    @Test func mismatchedPairOfFilesIsAnError() throws {
        guard try Fixtures.gpt2() != nil else { return }
        // GPT-2's merges against the tiny vocabulary: "Ġ t" exists there, the second merge's result does not.
        do {
            _ = try BPETokenizer.load(encoderJSON: Self.corrupt.appendingPathComponent("valid/encoder.json"), vocabBPE: SharedData.url("gpt2/vocab.bpe"))
            Issue.record("mismatched files loaded")
        } catch {
            let m = (error as? LocalizedError)?.errorDescription ?? ""
            #expect(m.contains("vocab.bpe:3: error: merge \"Ġ a\": the merged token \"Ġa\" is not in the vocabulary"), "got: \(m)")
        }
    }
}
