import Foundation
import TestSupport
import Testing

/// `finch init-model`, `generate`, `chat` end to end, on a tiny custom GPT-2 with the real GPT-2 tokenizer.
@Suite(.serialized) struct ModelCommandTests {
    /// A 2-layer, dim-16 model with GPT-2's vocabulary: small enough for debug builds, real tokenizer ids.
    static let tinyShape = ["--layers", "2", "--heads", "2", "--dim", "16", "--context", "64"]

    static func tokenizerArguments() -> [String] {
        ["--vocab", SharedData.url("gpt2/vocab.bpe").path, "--encoder", SharedData.url("gpt2/encoder.json").path]
    }

    static func makeModel(in dir: URL, seed: Int = 7) throws -> String {
        let out = dir.appendingPathComponent("model").path
        let r = try FinchBinary.run(["init-model"] + tinyShape + ["--seed", String(seed), "--out", out])
        #expect(r.status == 0, "init-model failed: \(r.stderr)")
        return out
    }

    static func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(text)")
    }

    @Test func initModelWritesTransformersLayout() throws {
        let dir = try FinchBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.makeModel(in: dir)
        for file in ["model.safetensors", "config.json", "generation_config.json"] {
            #expect(FileManager.default.fileExists(atPath: model + "/" + file), "\(file) missing")
        }
        let config = try Self.json(String(contentsOfFile: model + "/config.json", encoding: .utf8))
        #expect(config["model_type"] as? String == "gpt2")
        #expect(config["n_layer"] as? Int == 2)
        #expect(config["n_head"] as? Int == 2)
        #expect(config["n_embd"] as? Int == 16)
        #expect(config["n_positions"] as? Int == 64)
        #expect(config["vocab_size"] as? Int == 50257)
        // safetensors header: 8-byte little-endian length, then JSON naming the transformer.-prefixed tensors.
        let data = try Data(contentsOf: URL(fileURLWithPath: model + "/model.safetensors"))
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try Self.json(String(decoding: data[8..<(8 + length)], as: UTF8.self))
        let wte = try #require(header["transformer.wte.weight"] as? [String: Any])
        #expect(wte["shape"] as? [Int] == [50257, 16])
        #expect(header["transformer.h.1.mlp.c_proj.weight"] != nil)

        // Same seed, same bytes; another seed, other weights.
        let again = try FinchBinary.run(["init-model"] + Self.tinyShape + ["--seed", "7", "--out", dir.appendingPathComponent("again").path])
        #expect(again.status == 0)
        let other = try FinchBinary.run(["init-model"] + Self.tinyShape + ["--seed", "8", "--out", dir.appendingPathComponent("other").path])
        #expect(other.status == 0)
        let same = try Data(contentsOf: dir.appendingPathComponent("again/model.safetensors"))
        let different = try Data(contentsOf: dir.appendingPathComponent("other/model.safetensors"))
        #expect(same == data)
        #expect(different != data)
    }

    @Test func generateJSONRoundTrip() throws {
        guard SharedData.available else { return }
        let dir = try FinchBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.makeModel(in: dir)
        let prompt = "Every effort moves you"
        let args = ["generate", "--model", model] + Self.tokenizerArguments() + ["--max-new-tokens", "6", "--json", prompt]
        let r = try FinchBinary.run(args)
        #expect(r.status == 0, "generate failed: \(r.stderr)")
        let object = try Self.json(r.stdout)
        let promptIds = try #require(object["prompt_ids"] as? [Int])
        let newIds = try #require(object["new_ids"] as? [Int])
        #expect(object["text"] is String)
        // The prompt's ids are the tokenizer's (checked through `finch tokenize`, tiktoken-exact).
        let tokenized = try FinchBinary.run(["tokenize"] + Self.tokenizerArguments(), stdin: prompt)
        #expect(tokenized.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[" + promptIds.map(String.init).joined(separator: ",") + "]")
        #expect(promptIds == [6109, 3626, 6100, 345])
        #expect(!newIds.isEmpty && newIds.count <= 6)
        #expect(newIds.allSatisfy { (0..<50256).contains($0) })
        // Greedy decoding is deterministic; the plain form prints the text of the same ids.
        let again = try FinchBinary.run(args)
        #expect(try Self.json(again.stdout)["new_ids"] as? [Int] == newIds)
        let plain = try FinchBinary.run(Array(args.filter { $0 != "--json" }))
        #expect(plain.status == 0)
        #expect(plain.stdout == (object["text"] as! String) + "\n")

        // Sampling: the same seed gives the same ids.
        let sampled = args.dropLast() + ["--temperature", "1.5", "--top-k", "50", "--top-p", "0.9", "--seed", "5", prompt]
        let s1 = try FinchBinary.run(Array(sampled)), s2 = try FinchBinary.run(Array(sampled))
        #expect(s1.status == 0, "\(s1.stderr)")
        #expect(try Self.json(s1.stdout)["new_ids"] as? [Int] == Self.json(s2.stdout)["new_ids"] as? [Int])
    }

    @Test func chatAnswersEachLineUntilExit() throws {
        guard SharedData.available else { return }
        let dir = try FinchBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.makeModel(in: dir)
        let args = ["chat", "--model", model] + Self.tokenizerArguments() + ["--max-new-tokens", "3"]
        let r = try FinchBinary.run(args, stdin: "Name a colour.\n\nWhat is 2+2?\n/exit\nnever answered\n")
        #expect(r.status == 0, "chat failed: \(r.stderr)")
        // Two instructions before /exit (the blank line is skipped): two answers, one per line.
        #expect(r.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 3, "got: \(r.stdout.debugDescription)")
        let eof = try FinchBinary.run(args, stdin: "Name a colour.")
        #expect(eof.status == 0)
        #expect(eof.stdout.hasSuffix("\n") && eof.stdout.filter { $0 == "\n" }.count == 1)
    }

    @Test func badInputExitsWithTwo() throws {
        let dir = try FinchBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("no-such-model").path
        let r = try FinchBinary.run(["generate", "--model", missing, "--tokenizer", dir.path, "hi"])
        #expect(r.status == 2)
        #expect(r.stderr.contains(missing) && r.stderr.contains("init-model"), "\(r.stderr)")

        let model = try Self.makeModel(in: dir)
        // A model directory without tokenizer files and no tokenizer options.
        let noTokenizer = try FinchBinary.run(["generate", "--model", model, "hi"])
        #expect(noTokenizer.status == 2)
        #expect(noTokenizer.stderr.contains("--vocab"), "\(noTokenizer.stderr)")
        // Broken tokenizer files.
        let bad = dir.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        try "{not json".write(to: bad.appendingPathComponent("encoder.json"), atomically: true, encoding: .utf8)
        try "#version: 0.2\na b\n".write(to: bad.appendingPathComponent("vocab.bpe"), atomically: true, encoding: .utf8)
        let broken = try FinchBinary.run(["chat", "--model", model, "--tokenizer", bad.path], stdin: "hi\n")
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("encoder.json"), "\(broken.stderr)")
        // Only one of --vocab/--encoder; a negative temperature.
        let half = try FinchBinary.run(["generate", "--model", model, "--vocab", "x", "hi"])
        #expect(half.status == 2 && half.stderr.contains("--encoder"), "\(half.stderr)")
        let hot = try FinchBinary.run(["generate", "--model", model, "--tokenizer", bad.path, "--temperature=-1", "hi"])
        #expect(hot.status == 2 && hot.stderr.contains("temperature"), "\(hot.stderr)")

        // init-model: no shape, an unknown preset, a preset mixed with a custom shape, heads not dividing dim.
        let out = dir.appendingPathComponent("m").path
        for (args, needle) in [([String](), "--size"), (["--size", "gpt2-tiny"], "gpt2-small"),
                               (["--size", "gpt2-small", "--layers", "2"], "--layers"),
                               (["--layers", "2", "--heads", "3", "--dim", "16"], "divisible")] {
            let r = try FinchBinary.run(["init-model"] + args + ["--out", out])
            #expect(r.status == 2, "init-model \(args) exited \(r.status)")
            #expect(r.stderr.contains(needle), "init-model \(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
