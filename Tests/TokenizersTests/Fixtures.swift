import Foundation
import TestSupport
@testable import Tokenizers

/// Paths of committed fixtures and the shared GPT-2 tokenizer, loaded once per test process.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/tokenizer")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func json<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(name)))
    }

    /// GPT-2 from `../shared/data` (OpenAI layout), loaded once; nil when the folder is absent.
    private static let loaded: Result<BPETokenizer?, Error> = Result {
        guard SharedData.available else { return nil }
        return try BPETokenizer.load(encoderJSON: SharedData.url("gpt2/encoder.json"), vocabBPE: SharedData.url("gpt2/vocab.bpe"))
    }

    /// nil only when the shared data is absent (the test then skips); a failing load fails the test.
    static func gpt2() throws -> BPETokenizer? { try loaded.get() }

    /// Chapter 7 entries formatted as Alpaca prompt + response (as peer_tiktoken.py does).
    static func alpacaEntries() throws -> [String] {
        struct Entry: Decodable { var instruction: String; var input: String; var output: String }
        let entries = try JSONDecoder().decode([Entry].self, from: Data(contentsOf: SharedData.url("instruction/instruction-data.json")))
        return entries.map { e in
            var t = "Below is an instruction that describes a task. Write a response that appropriately "
                + "completes the request.\n\n### Instruction:\n" + e.instruction
            if !e.input.isEmpty { t += "\n\n### Input:\n" + e.input }
            return t + "\n\n### Response:\n" + e.output
        }
    }

    /// A fresh temporary directory, removed by the caller's `defer`.
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("finch-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// FNV-1a 64 over the ids written as decimal numbers joined by commas (the generator's hash).
func fnv1a64(_ ids: [Int]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in ids.map(String.init).joined(separator: ",").utf8 {
        h = (h ^ UInt64(b)) &* 0x100_0000_01B3
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// Deterministic generator for property tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random strings mixing ASCII, whitespace, apostrophes and arbitrary scalars of every plane.
func randomUnicodeString(_ rng: inout SeededGenerator, maxLength: Int = 40) -> String {
    let pools: [[Unicode.Scalar]] = [
        Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".unicodeScalars),
        Array(" \t\n\r\u{0B}\u{0C}\u{A0}\u{2003}\u{3000}\u{85}\u{1C}".unicodeScalars),
        Array("'\"!?.,;:-_()[]{}<>/\\|@#$%^&*+=~`sdmtlvre".unicodeScalars),
        Array("éüñßøÆ\u{301}\u{308}ʰˈ々ー\u{640}你好世界한국어ภาษา²½①Ⅻ٣😀👍🏽\u{200D}\u{FE0F}".unicodeScalars),
    ]
    var s = String.UnicodeScalarView()
    for _ in 0..<Int.random(in: 0...maxLength, using: &rng) {
        if Int.random(in: 0..<10, using: &rng) < 8 {
            s.append(pools.randomElement(using: &rng)!.randomElement(using: &rng)!)
        } else {
            var v: UInt32
            repeat { v = UInt32.random(in: 0...0x10FFFF, using: &rng) } while (0xD800..<0xE000).contains(v)
            s.append(Unicode.Scalar(v)!)
        }
    }
    return String(s)
}
