import Foundation
import Testing
import TensorCore
@testable import GPT

@Suite struct CheckpointTests {
    static let config = GPTConfig(layers: 2, heads: 2, dim: 16, context: 12, vocab: 50)

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("finch-gpt-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func saveThenLoadRoundTrips() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = try GPTWeights.random(config: Self.config, seed: 3)
        try Checkpoint.save(weights, to: dir)
        for file in [Checkpoint.weightsFile, Checkpoint.configFile, Checkpoint.generationConfigFile] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path))
        }
        let names = try SafetensorsFile(url: dir.appendingPathComponent(Checkpoint.weightsFile)).names
        #expect(names.allSatisfy { $0.hasPrefix("transformer.") })
        let loaded = try Checkpoint.load(from: dir)
        #expect(loaded.config == Self.config)
        for ((n1, a), (n2, b)) in zip(weights.named, loaded.named) {
            #expect(n1 == n2)
            #expect(a.toArray() == b.toArray())
        }
    }

    /// transformers reads config.json's numbers as written: they must be the decimals of the Float settings
    /// (1e-05), not the Floats' exact binary values widened to Double (9.999999747378752e-06).
    @Test func configJSONWritesDecimalHyperparameters() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = Self.config
        config.dropout = 0.1
        try Checkpoint.save(try GPTWeights.random(config: config, seed: 3), to: dir)
        let json = try String(contentsOf: dir.appendingPathComponent(Checkpoint.configFile), encoding: .utf8)
        #expect(json.contains("\"layer_norm_epsilon\" : 1e-05"))
        #expect(json.contains("\"resid_pdrop\" : 0.1,"))
    }

    /// BOS/EOS ids must lie inside the vocabulary: the tokenizer's own id when known, GPT-2's 50256 only
    /// for vocabularies that have it, else none.
    @Test func endOfTextIdsFitTheVocabulary() throws {
        func ids(_ config: GPTConfig, _ endOfText: Int?) throws -> [[String: Int]] {
            let dir = Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            try Checkpoint.save(try GPTWeights.random(config: config, seed: 3), to: dir, endOfText: endOfText)
            return try [Checkpoint.configFile, Checkpoint.generationConfigFile].map { file in
                let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(file))) as! [String: Any]
                return json.filter { $0.key.hasSuffix("_token_id") }.mapValues { $0 as! Int }
            }
        }
        #expect(try ids(Self.config, nil) == [[:], [:]])
        #expect(try ids(Self.config, 49) == Array(repeating: ["bos_token_id": 49, "eos_token_id": 49], count: 2))
        let gpt2Vocab = GPTConfig(layers: 1, heads: 1, dim: 4, context: 4, vocab: 50257)
        #expect(try ids(gpt2Vocab, nil) == Array(repeating: ["bos_token_id": 50256, "eos_token_id": 50256], count: 2))
    }

    /// The Hub's original GPT-2 files have no `transformer.` prefix and no config.json beside the weights when
    /// a bare file is given: the size is inferred from the shapes (here a preset-shaped model would be needed,
    /// so the custom size is passed explicitly).
    @Test func loadsUnprefixedKeysWithExpectedConfig() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = try GPTWeights.random(config: Self.config, seed: 4)
        let file = dir.appendingPathComponent("bare.safetensors")
        try SafetensorsWriter.write(weights.named, to: file)
        let loaded = try Checkpoint.load(from: file, expected: Self.config)
        #expect(loaded["h.1.mlp.c_fc.weight"].toArray() == weights["h.1.mlp.c_fc.weight"].toArray())
        #expect(throws: GPTError.self) { try Checkpoint.load(from: file) }  // no config.json, matches no preset
    }

    @Test func sizeMismatchNamesTheTensorAndBothShapes() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Checkpoint.save(try GPTWeights.random(config: Self.config, seed: 5), to: dir)
        var wider = Self.config
        wider.dim = 24
        do {
            _ = try Checkpoint.load(from: dir, expected: wider)
            Issue.record("a checkpoint of dim 16 loaded as dim 24")
        } catch let error as GPTError {
            let message = error.localizedDescription
            #expect(message.contains("wte.weight") && message.contains("[50, 16]") && message.contains("[50, 24]"))
        }
        var deeper = Self.config
        deeper.layers = 1
        #expect(throws: GPTError.layerCountMismatch(file: dir.appendingPathComponent(Checkpoint.weightsFile).path,
                                                     tensor: "h.1.attn.c_attn.bias", requested: 1)) {
            try Checkpoint.load(from: dir, expected: deeper)
        }
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: GPTError.self) { try Checkpoint.load(from: URL(fileURLWithPath: "/nonexistent/finch-model")) }
    }

    /// Hugging Face's initialisation: std 0.02, residual projections 0.02/√(2·layers), norms at 1 and 0.
    @Test func randomInitialisationFollowsHuggingFace() throws {
        let c = GPTConfig(layers: 4, heads: 4, dim: 64, context: 32, vocab: 500)
        let w = try GPTWeights.random(config: c, seed: 123)
        func std(_ t: Tensor) -> Double {
            let v = t.toArray().map(Double.init)
            let m = v.reduce(0, +) / Double(v.count)
            return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
        }
        #expect(abs(std(w["wte.weight"]) - 0.02) < 0.001)
        #expect(abs(std(w["h.2.mlp.c_proj.weight"]) - 0.02 / (8.0).squareRoot()) < 0.0005)
        #expect(w["h.0.ln_1.weight"].toArray().allSatisfy { $0 == 1 })
        #expect(w["h.0.attn.c_attn.bias"].toArray().allSatisfy { $0 == 0 })
        #expect(try GPTWeights.random(config: c, seed: 123)["wte.weight"].toArray() == w["wte.weight"].toArray())
    }
}
