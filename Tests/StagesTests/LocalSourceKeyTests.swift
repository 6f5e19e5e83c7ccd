import Foundation
import Pipeline
import Testing
import TestSupport
@testable import Stages

/// The stage kinds that read local files put those files' content into their cache keys.
@Suite struct LocalSourceKeyTests {
    static func dataset(_ n: Int) -> String {
        "[" + (0..<n).map { #"{"instruction": "Repeat \#($0).", "input": "", "output": "\#($0)"}"# }.joined(separator: ", ") + "]"
    }

    static let pipeline = """
    stages:
      data: {uses: fetch, path: data/mine.json}
      prompts: {uses: template, data: data}
      splits: {uses: split, data: prompts, train: 0.5, test: 0.25, validation: 0.25}
      other: {uses: synthetic, count: 4}

    """

    func load(_ h: PipelineHarness, _ file: URL, overrides: [String] = []) throws -> PipelineDefinition {
        try PipelineLoader(registry: h.registry).load(file: file, overrides: overrides, cacheDirectory: h.cache)
    }

    @Test func editingALocalDatasetRerunsFetchAndDownstream() throws {
        let h = try PipelineHarness()
        try FileManager.default.createDirectory(at: h.dir.file("data"), withIntermediateDirectories: true)
        try h.write("data/mine.json", Self.dataset(8))
        let file = try h.write("p.yaml", Self.pipeline)

        let first = try h.run(file)
        #expect(first.exitStatus == 0, "\(first.stages.compactMapValues(\.error))")
        #expect(h.ran(first) == ["data", "other", "prompts", "splits"])
        // The key's hash is the one the stage reports for the bytes it read (computed by the downloader).
        let recorded = try #require(first.stages["data"]?.localFiles?["path"])
        #expect(recorded.path == h.dir.file("data/mine.json").standardizedFileURL.path)
        #expect(first.stages["data"]?.metrics["sha256"] == .string(recorded.sha256))

        #expect(h.ran(try h.run(file)).isEmpty)

        try h.write("data/mine.json", Self.dataset(12))
        let plan = Plan(definition: try load(h, file), store: ArtifactStore(root: h.cache))
        #expect(plan.entries.first { $0.stage == "data" }?.reasons == ["local file data/mine.json changed"])
        #expect(plan.entries.first { $0.stage == "prompts" }?.reasons == ["input 'data' changed"])
        let second = try h.run(file)
        #expect(h.ran(second) == ["data", "prompts", "splits"])
        #expect(try ArtifactFiles.readRecords(from: h.artifact(second, "data")).count == 12)
        #expect(try ArtifactFiles.readSplits(from: h.artifact(second, "splits")).train.count == 6)

        // The same file through `url: file://…` is keyed by its content too.
        let viaURL = try h.run(file, overrides: ["stages.data.path=null", "stages.data.url=file://\(h.dir.file("data/mine.json").path)"])
        #expect(viaURL.stages["data"]?.localFiles?["url"]?.sha256 == second.stages["data"]?.localFiles?["path"]?.sha256)
    }

    @Test func missingLocalDatasetIsReportedBeforeAnythingRuns() throws {
        let h = try PipelineHarness()
        let file = try h.write("p.yaml", Self.pipeline)
        let errors = h.errors(Self.pipeline)
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("p.yaml:2:29: error: stage 'data': local file 'data/mine.json' named by `path:` does not exist") == true,
                "\(errors)")
        #expect(errors.first?.contains("create it or correct `path:`") == true)
        #expect(throws: SpecErrors.self) { try h.run(file) }
        #expect(!FileManager.default.fileExists(atPath: h.cache.appendingPathComponent("objects").path))
    }

    @Test func pinnedAndRemoteSourcesAreNotHashed() throws {
        let h = try PipelineHarness()
        // Neither file exists: a pinned or remote source must not be read to plan.
        let file = try h.write("p.yaml", """
        stages:
          pinned: {uses: fetch, path: gone.json, sha256: \(String(repeating: "a", count: 64))}
          remote: {uses: fetch, url: "https://example.com/d.json"}
          hub: {uses: model, weights: "hf://openai-community/gpt2"}
          tok:
            uses: tokenizer
            vocab: gone.bpe
            vocab_sha256: \(String(repeating: "b", count: 64))
            encoder: "https://example.com/encoder.json"
          trained: {uses: tokenizer, kind: bpe, data: remote, vocab_size: 300}
        """)
        let def = try load(h, file)
        for s in def.stages { #expect(s.localFiles.isEmpty, "\(s.name)") }
    }

    @Test func tokenizerAndModelSources() throws {
        let h = try PipelineHarness()
        let fm = FileManager.default
        try fm.createDirectory(at: h.dir.file("tok"), withIntermediateDirectories: true)
        try fm.createDirectory(at: h.dir.file("ckpt"), withIntermediateDirectories: true)
        try h.write("tok/encoder.json", "{}")
        try h.write("tok/vocab.bpe", "#version: 0.2\n")
        try h.write("tok/notes.txt", "not read by the loader")
        try h.write("ckpt/model.safetensors", "weights")
        try h.write("ckpt/config.json", "{}")
        let file = try h.write("p.yaml", """
        stages:
          files: {uses: tokenizer, vocab: tok/vocab.bpe, encoder: tok/encoder.json}
          folder: {uses: tokenizer, dir: tok}
          ckpt: {uses: model, weights: ckpt}
          sized: {uses: model, weights: ckpt, size: gpt2-small}
          file: {uses: model, weights: ckpt/model.safetensors}
        """)
        let def = try load(h, file)
        func hashes(_ stage: String) -> [String: LocalFileHash] { def.stage(stage)?.localFiles ?? [:] }
        #expect(Set(hashes("files").keys) == ["vocab", "encoder"])
        #expect(hashes("files")["vocab"]?.files == nil)
        // A folder lists the tokenizer files it holds, not the others.
        #expect(hashes("folder")["dir"]?.files.map { Set($0.keys) } == ["encoder.json", "vocab.bpe"])
        #expect(hashes("folder")["dir"]?.files?["vocab.bpe"] == hashes("files")["vocab"]?.sha256)
        // Weights: config.json counts only when the size comes from it.
        #expect(hashes("ckpt")["weights"]?.files.map { Set($0.keys) } == ["model.safetensors", "config.json"])
        #expect(hashes("sized")["weights"]?.files.map { Set($0.keys) } == ["model.safetensors"])
        #expect(hashes("file")["weights"]?.files.map { Set($0.keys) } == ["model.safetensors", "config.json"])
        #expect(hashes("file")["weights"]?.sha256 == hashes("ckpt")["weights"]?.sha256)

        // Editing a file the stage reads changes its key; a file it does not read does not.
        try h.write("tok/notes.txt", "still not read")
        let notes = try load(h, file)
        #expect(notes.stage("folder")?.key == def.stage("folder")?.key)
        try h.write("ckpt/config.json", #"{"n_layer": 2}"#)
        let edited = try load(h, file)
        #expect(edited.stage("ckpt")?.key != def.stage("ckpt")?.key)
        #expect(edited.stage("sized")?.key == def.stage("sized")?.key)

        let missing = h.errors("stages:\n  t: {uses: tokenizer, dir: nowhere}\n")
        #expect(missing.first?.contains("stage 't': local folder 'nowhere' named by `dir:` does not exist") == true, "\(missing)")
    }
}
