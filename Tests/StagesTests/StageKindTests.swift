import Foundation
import GPT
import Pipeline
import Testing
import TestSupport
import Tokenizers
@testable import Stages

/// The stage kinds run through the engine: validation messages, artifacts, caching, downloads.
@Suite(.serialized) struct StageKindTests {
    static let dataSHA = "7e09a9af353722ca15c18bc580f093f9c39d3178335a75177319cb1e1d163944"

    static func dataPipeline() -> String {
        """
        name: data
        seed: 123
        stages:
          data: {uses: fetch, path: \(sharedPath("instruction/instruction-data.json")), sha256: \(dataSHA)}
          prompts: {uses: template, data: data}
          splits: {uses: split, data: prompts}
          tokenizer:
            uses: tokenizer
            vocab: \(sharedPath("gpt2/vocab.bpe"))
            vocab_sha256: 1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
            encoder: \(sharedPath("gpt2/encoder.json"))
            encoder_sha256: 196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
        """
    }

    @Test func dataStagesReproduceChapter7() throws {
        guard SharedData.available else { return }
        let h = try PipelineHarness()
        let file = try h.write("p.yaml", Self.dataPipeline())
        let record = try h.run(file)
        #expect(record.exitStatus == 0, "\(record.stages.compactMapValues(\.error))")
        #expect(h.ran(record) == ["data", "prompts", "splits", "tokenizer"])

        let records = try ArtifactFiles.readRecords(from: h.artifact(record, "data"))
        #expect(records.count == 1100)
        let splits = try ArtifactFiles.readSplits(from: h.artifact(record, "splits"))
        #expect([splits.train.count, splits.test.count, splits.validation.count] as [Int] == [935, 110, 55])
        // File order: the test part starts right after the first 935 entries.
        #expect(splits.test.first?.record == records[935])
        // Entry 50 of the chapter (with an input) in the Alpaca format.
        let p = try ArtifactFiles.readPrompts(from: h.artifact(record, "prompts"))[50]
        #expect(p.prompt == "Below is an instruction that describes a task. Write a response that appropriately completes the request."
            + "\n\n### Instruction:\n\(records[50].instruction)\n\n### Input:\n\(records[50].input)")
        #expect(p.response == "\n\n### Response:\n\(records[50].output)")

        let tokenizer = try BPETokenizer.load(directory: h.artifact(record, "tokenizer"))
        #expect(tokenizer.vocabSize == 50257 && tokenizer.eotId == 50256)
        #expect(record.stages["splits"]?.metrics["train"] == .number(935))

        // Nothing changed: nothing runs; a new split fraction reruns only the split.
        #expect(h.ran(try h.run(file)).isEmpty)
        let again = try h.run(file, overrides: ["stages.splits.train=0.8", "stages.splits.validation=0.1"])
        #expect(h.ran(again) == ["splits"])
    }

    @Test func shuffledSplitIsSeeded() throws {
        guard SharedData.available else { return }
        let h = try PipelineHarness()
        let file = try h.write("p.yaml", Self.dataPipeline())
        let a = try h.run(file, overrides: ["stages.splits.shuffle=true"], until: "splits")
        let b = try h.run(file, overrides: ["stages.splits.shuffle=true", "seed=7"], until: "splits")
        let sa = try ArtifactFiles.readSplits(from: h.artifact(a, "splits"))
        let sb = try ArtifactFiles.readSplits(from: h.artifact(b, "splits"))
        #expect(sa.train.count == 935 && sb.train.count == 935)
        #expect(sa.train != sb.train)
        #expect(Set(sa.train + sa.test + sa.validation) == Set(sb.train + sb.test + sb.validation))
    }

    @Test func validationMessagesPointAtTheField() throws {
        let h = try PipelineHarness()
        let custom = """
        stages:
          data: {uses: synthetic, count: 10}
          prompts:
            uses: template
            data: data
            style: custom
            prompt: "Q: {instrution}"
            response: "A: {output}"
        """
        let e = h.errors(custom)
        #expect(e.count == 1)
        #expect(e.first?.hasPrefix("p.yaml:7:13: error: template `prompt`: unknown slot {instrution} (did you mean {instruction}?)") == true)

        let more = h.errors("""
        stages:
          data: {uses: fetch, url: "https://example.com/d.json", path: d.json, sha256: abc}
          prompts: {uses: template, data: data, style: alpca}
          splits: {uses: split, data: prompts, train: 0.8, test: 0.1, validation: 0.2}
          base: {uses: model, size: gpt2-tiny}
          small: {uses: model, size: {layers: 2, heads: 3, dim: 32}}
          tok: {uses: tokenizer, kind: bpe, data: splits}
          scores: {uses: judge, responses: data, kind: exact, model: llama3}
        """)
        let expected = [
            "p.yaml:2:64: error: give `url:` or `path:`, not both",
            "p.yaml:2:80: error: sha256 'abc' must be 64 hexadecimal digits",
            "p.yaml:3:48: error: 'alpca' is not a valid value for 'style' (did you mean 'alpaca'?)",
            "p.yaml:4:47: error: split fractions train 0.8 + test 0.1 + validation 0.2",
            "p.yaml:5:29: error: unknown model size 'gpt2-tiny'",
            "p.yaml:6:49: error: dim 32 is not divisible by heads 3",
            "p.yaml:7:8: error: `kind: bpe` needs `vocab_size:`",
            "p.yaml:8:36: error: stage 'data' (uses: fetch) produces records, but this reference needs responses",
            "p.yaml:8:62: error: judge `model:` has no meaning for `kind: exact`",
        ]
        for prefix in expected {
            #expect(more.contains { $0.hasPrefix(prefix) }, "no message starting with \(prefix) in:\n\(more.joined(separator: "\n"))")
        }
    }

    @Test func fetchDownloadsVerifiesAndNeverCommitsHalfAFile() throws {
        let body = Data(#"[{"instruction": "Say hi.", "input": "", "output": "hi"}, {"prompt": "x", "completion": "y"}]"#.utf8)
        let server = try LoopbackHTTPServer { request in
            request.path == "/d.json" ? .init(status: 200, body: body) : .text("gone", status: 404)
        }
        defer { server.stop() }
        let h = try PipelineHarness()
        let url = server.baseURL.appendingPathComponent("d.json").absoluteString
        let bodyFile = h.dir.file("body.json")
        try body.write(to: bodyFile)
        let sha = try Downloader.sha256(of: bodyFile)
        let file = try h.write("p.yaml", "stages:\n  data: {uses: fetch, url: \"\(url)\", sha256: \(sha), limit: 1}\n")

        let ok = try h.run(file)
        #expect(ok.exitStatus == 0)
        #expect(try ArtifactFiles.readRecords(from: h.artifact(ok, "data")) == [InstructionRecord(instruction: "Say hi.", output: "hi")])
        #expect(FileManager.default.fileExists(atPath: h.cache.appendingPathComponent("downloads/sha256/\(sha)").path))

        // Row 1 lacks "instruction": the error names the row; nothing is committed.
        let all = try h.run(file, overrides: ["stages.data.limit=null"])
        #expect(all.exitStatus == 1)
        #expect(all.stages["data"]?.error?.contains("row 1 has no \"instruction\"") == true)
        #expect(!ArtifactStore(root: h.cache).contains(all.stages["data"]!.key))
        // With a field map the same file reads.
        let mapped = try h.run(file, overrides: ["stages.data.limit=null", "stages.data.fields={instruction: prompt, output: completion}"])
        #expect(mapped.exitStatus == 1)
        #expect(mapped.stages["data"]?.error?.contains("row 0 has no \"prompt\" (mapped by `fields.instruction`)") == true)

        let wrongHash = try h.run(file, overrides: ["stages.data.sha256=\(String(repeating: "0", count: 64))"])
        #expect(wrongHash.stages["data"]?.error?.contains("sha256 is \(sha) but the pipeline pins 0000") == true)

        let missing = try h.run(file, overrides: ["stages.data.url=\(server.baseURL.absoluteString)/nope.json", "stages.data.sha256=null"])
        #expect(missing.stages["data"]?.error?.contains("HTTP 404") == true)

        // A closed port: the message names the URL and suggests a local `path:`.
        let closed = try LoopbackHTTPServer { _ in .text("") }
        let closedURL = "\(closed.baseURL.absoluteString)/d.json"
        closed.stop()
        let offline = try h.run(file, overrides: ["stages.data.url=\(closedURL)", "stages.data.sha256=null"])
        let message = offline.stages["data"]?.error ?? ""
        #expect(message.contains(closedURL) && message.contains("`path:`"), "\(message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.cache.appendingPathComponent("tmp").path).isEmpty)
    }

    @Test func modelRandomInitIsSeededAndLoadable() throws {
        let h = try PipelineHarness()
        let file = try h.write("p.yaml", """
        seed: 5
        stages:
          base: {uses: model, size: {layers: 2, heads: 2, dim: 16, context: 32, vocab: 300}}
        """)
        let a = try h.run(file)
        #expect(a.exitStatus == 0, "\(a.stages["base"]?.error ?? "")")
        let weights = try Checkpoint.load(from: h.artifact(a, "base"))
        #expect(weights.config == GPTConfig(layers: 2, heads: 2, dim: 16, context: 32, vocab: 300))
        let reference = try GPTWeights.random(config: weights.config, seed: 5)
        #expect(weights.named.map(\.0) == reference.named.map(\.0))
        #expect(zip(weights.parameters, reference.parameters).allSatisfy { $0.0.toArray() == $0.1.toArray() })

        let b = try h.run(file, overrides: ["seed=6"])
        let other = try Checkpoint.load(from: h.artifact(b, "base"))
        #expect(other.parameters[0].toArray() != weights.parameters[0].toArray())

        // The artifact loads again as `weights:` (a local checkpoint folder).
        let copy = try h.run(file, overrides: ["stages.base.weights=\"\(h.artifact(a, "base").path)\"", "stages.base.size=null"])
        #expect(copy.exitStatus == 0, "\(copy.stages["base"]?.error ?? "")")
        #expect(try Checkpoint.load(from: h.artifact(copy, "base")).parameters[0].toArray() == weights.parameters[0].toArray())

        // Weights over HTTP, pinned, with the size given: downloaded into the cache and checked against the size.
        let weightsFile = h.artifact(a, "base").appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: weightsFile)
        let server = try LoopbackHTTPServer { _ in .init(status: 200, body: bytes) }
        defer { server.stop() }
        let url = "\(server.baseURL.absoluteString)/model.safetensors"
        let remote = try h.run(file, overrides: ["stages.base.weights=\(url)", "stages.base.weights_sha256=\(try Downloader.sha256(of: weightsFile))"])
        #expect(remote.exitStatus == 0, "\(remote.stages["base"]?.error ?? "")")
        #expect(try Checkpoint.load(from: h.artifact(remote, "base")).parameters[0].toArray() == weights.parameters[0].toArray())
        let wrongSize = try h.run(file, overrides: ["stages.base.weights=\(url)", "stages.base.size.layers=3"])
        #expect(wrongSize.exitStatus == 1)
        #expect(wrongSize.stages["base"]?.error?.contains("h.2") == true, "\(wrongSize.stages["base"]?.error ?? "")")
    }

    @Test func syntheticRecordsTrainABPETokenizer() throws {
        let h = try PipelineHarness()
        let file = try h.write("p.yaml", """
        seed: 1
        stages:
          data: {uses: synthetic, count: 200, tasks: [addition, reverse-word]}
          prompts: {uses: template, data: data, style: phi3}
          splits: {uses: split, data: prompts}
          tok: {uses: tokenizer, kind: bpe, data: splits, vocab_size: 300}
        """)
        let r = try h.run(file)
        #expect(r.exitStatus == 0, "\(r.stages.compactMapValues(\.error))")
        let tok = try BPETokenizer.load(directory: h.artifact(r, "tok"))
        #expect(tok.vocabSize == 300)
        let splits = try ArtifactFiles.readSplits(from: h.artifact(r, "splits"))
        #expect(splits.train.count == 170)
        let text = splits.train[0].text
        #expect(text.hasPrefix("<|user|>\n"))
        #expect(tok.decode(tok.encode(text)) == text)
        #expect(try SyntheticStage.generate(SyntheticConfig(count: 200, tasks: [.addition, .reverseWord]), seed: 1)
            == ArtifactFiles.readRecords(from: h.artifact(r, "data")))
    }

    @Test func ctrlCStopsADownloadAtOnce() throws {
        let server = try LoopbackHTTPServer { _ in .init(status: 200, body: Data("[]".utf8), delay: 20) }
        defer { server.stop() }
        let h = try PipelineHarness()
        let file = try h.write("p.yaml", "stages:\n  data: {uses: fetch, url: \"\(server.baseURL.absoluteString)/d.json\"}\n")
        let cancel = CancellationFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { cancel.cancel() }
        let start = Date()
        let record = try h.run(file, cancel: cancel)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(record.exitStatus == 130 && record.stages["data"]?.error == "interrupted")
        #expect(!ArtifactStore(root: h.cache).contains(record.stages["data"]!.key))
    }

    @Test func huggingFaceDatasetSources() throws {
        let base = URL(fileURLWithPath: "/")
        #expect(try SourceReference("hf://datasets/tatsu-lab/alpaca/data/train.jsonl", relativeTo: base)
            == .remote(URL(string: "https://huggingface.co/datasets/tatsu-lab/alpaca/resolve/main/data/train.jsonl")!))
        #expect(try SourceReference("hf://openai-community/gpt2-medium", relativeTo: base).file("model.safetensors")
            == .remote(URL(string: "https://huggingface.co/openai-community/gpt2-medium/resolve/main/model.safetensors")!))
        #expect(throws: SourceError.self) { try SourceReference("hf://datasets/tatsu-lab", relativeTo: base) }
    }
}
