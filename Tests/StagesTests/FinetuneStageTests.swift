import Foundation
import GPT
import Pipeline
import Stages
import TensorCore
import Testing
import Tokenizers

// MARK: - A small world for running the ML kinds through the engine

/// Publishes a directory the test prepared as an artifact of type `produces` (stands in for the model,
/// split and tokenizer kinds, which live elsewhere).
struct DirectoryKind: StageKind {
    struct Configuration: StageConfiguration {
        var path: String
        enum CodingKeys: String, CodingKey { case path }
        var references: [StageReference] { [] }
    }
    let name: String
    let produces: ArtifactType
    var version: Int { 1 }
    func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let source = context.resolve(path: c.path)
        let fm = FileManager.default
        try fm.createDirectory(at: context.outputDirectory, withIntermediateDirectories: true)
        for f in try fm.contentsOfDirectory(atPath: source.path) {
            try fm.copyItem(at: source.appendingPathComponent(f), to: context.outputDirectory.appendingPathComponent(f))
        }
        return [:]
    }
}

/// Records messages and progress; can ask for a stop (like Ctrl-C) once a stage reports a given step.
final class TestObserver: RunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var _messages: [String] = []
    var messages: [String] { lock.withLock { _messages } }
    var onProgress: ((String, StageProgress) -> Void)?
    func stageCached(_ name: String, kind: String) {}
    func stageStarted(_ name: String, kind: String) {}
    func stageProgress(_ name: String, _ progress: StageProgress) { onProgress?(name, progress) }
    func stageFinished(_ name: String, status: String, seconds: Double, error: String?) {}
    func message(_ text: String) { lock.withLock { _messages.append(text) } }
}

/// A pipeline directory with a tiny model, a BPE tokenizer trained on synthetic instruction data, and its splits.
struct MLTestbed {
    let dir: TempDirectory
    let tokenizer: BPETokenizer
    let splits: Splits
    let baseConfig: GPTConfig

    init(records count: Int = 40) throws {
        dir = try TempDirectory()
        let records = try SyntheticStage.generate(SyntheticConfig(count: count, tasks: [.addition, .uppercase, .plural]), seed: 5)
        let prompts = PromptTemplate.alpaca.render(records)
        let parts = try SplitStage.split(prompts, config: SplitConfig(train: 0.8, test: 0.1, validation: 0.1), seed: 5)
        splits = Splits(train: parts.train, test: parts.test, validation: parts.validation)
        try ArtifactFiles.writeSplits(splits, to: dir.file("splits"))
        tokenizer = try BPETrainer.train(prompts.map(\.text), vocabSize: 320)
        try tokenizer.save(to: dir.file("tokenizer"))
        baseConfig = GPTConfig(layers: 2, heads: 2, dim: 32, context: 96, vocab: tokenizer.vocabSize)
        try Checkpoint.save(try GPTWeights.random(config: baseConfig, seed: 11), to: dir.file("model"))
    }

    static func registry() -> StageRegistry {
        var r = StageRegistry()
        r.register(DirectoryKind(name: "model-files", produces: "model"))
        r.register(DirectoryKind(name: "splits-files", produces: "splits"))
        r.register(DirectoryKind(name: "tokenizer-files", produces: "tokenizer"))
        r.register(FinetuneStage())
        r.register(GenerateStage())
        return r
    }

    /// Writes `pipeline.yaml` with the three inputs plus `stages` (YAML lines indented by two spaces).
    func pipeline(_ stages: String, name: String = "pipeline.yaml") throws -> URL {
        let text = """
        seed: 7
        stages:
          base: {uses: model-files, path: model}
          splits: {uses: splits-files, path: splits}
          tok: {uses: tokenizer-files, path: tokenizer}
        \(stages)
        """
        let url = dir.file(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func run(_ file: URL, cache: String, observer: TestObserver = TestObserver(), cancel: CancellationFlag = CancellationFlag()) throws -> RunRecord {
        try PipelineRunner(registry: Self.registry(), tool: "test")
            .run(file: file, options: .init(cacheDirectory: dir.file(cache).path), observer: observer, cancel: cancel)
    }

    func artifact(_ record: RunRecord, _ stage: String, cache: String) -> URL {
        ArtifactStore(root: dir.file(cache)).artifactDirectory(record.stages[stage]!.key)
    }

    func workDirectory(_ record: RunRecord, _ stage: String, cache: String) -> URL {
        ArtifactStore(root: dir.file(cache)).workDirectory(record.stages[stage]!.key)
    }
}

// MARK: - Tests

@Suite(.serialized) struct FinetuneStageTests {
    @Test func defaultsAreChapter7s() throws {
        let c = try JSONDecoder().decode(FinetuneConfig.self, from: Data(#"{"model": "m", "data": "d", "tokenizer": "t"}"#.utf8))
        #expect(c.epochs == 2 && c.batchSize == 8 && c.shuffle && c.dropLast)
        #expect(c.optimizer.kind == .adamw && c.optimizer.lr == 5e-5 && c.optimizer.effectiveWeightDecay == 0.1)
        #expect(c.eval.every == 5 && c.eval.batches == 5)
        #expect(c.precision == .fp32 && c.maxLength == nil && c.maxSteps == nil && !c.maskPrompt && c.lora == nil)
        #expect(c.validate().isEmpty)
        var bad = c
        bad.batchSize = 0
        bad.eval.every = 0
        #expect(bad.validate().map(\.path) == [["batch_size"], ["eval", "every"]])
    }

    @Test func trainsThroughTheEngineAndRecordsChapter7Curves() throws {
        let bed = try MLTestbed()
        defer { bed.dir.remove() }
        let file = try bed.pipeline("""
          tuned: {uses: finetune, model: base, data: splits, tokenizer: tok, epochs: 2, batch_size: 4, optimizer: {lr: 0.003}, eval: {every: 3, batches: 2}}
        """)
        let record = try bed.run(file, cache: "c")
        #expect(record.exitStatus == 0, "\(record.stages["tuned"]?.error ?? "")")
        let out = bed.artifact(record, "tuned", cache: "c")
        let metrics = try ArtifactFiles.readJSON(TrainingMetrics.self, from: out.appendingPathComponent("metrics.json"))

        // 32 training examples, batch 4, drop_last: 8 steps per epoch, 16 in all; chapter 7's global_step
        // evaluates at 0, 3, 6, …
        let stepsTotal = 2 * (bed.splits.train.count / 4)
        #expect(metrics.steps == Array(stride(from: 0, to: stepsTotal, by: 3)))
        #expect(metrics.trainLoss.count == metrics.steps.count && metrics.valLoss.count == metrics.steps.count)
        #expect(metrics.tokensSeen.count == metrics.steps.count)
        #expect(zip(metrics.tokensSeen, metrics.tokensSeen.dropFirst()).allSatisfy { $0 < $1 })
        // A random model starts near ln(vocab) and learns the regular synthetic answers.
        let initial = try #require(metrics.initial?.train)
        #expect(abs(initial - log(Double(bed.tokenizer.vocabSize))) < 1.0)
        let last = try #require(metrics.trainLoss.last)
        #expect(last < initial * 0.7)
        #expect(metrics.seconds > 0 && metrics.tokensPerSecond > 0)
        #expect(record.stages["tuned"]?.metrics["steps"] == .number(Double(stepsTotal)))

        // The exported model is a Hugging Face checkpoint of the same shape with new weights.
        let tuned = try Checkpoint.load(from: out)
        let base = try Checkpoint.load(from: bed.dir.file("model"))
        #expect(tuned.config == base.config)
        #expect(tuned["wte.weight"].toArray() != base["wte.weight"].toArray())
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("config.json").path))

        // Committed: the work directory (checkpoints) is gone.
        #expect(!FileManager.default.fileExists(atPath: bed.workDirectory(record, "tuned", cache: "c").path))
    }

    @Test func maxStepsStopsEarly() throws {
        let bed = try MLTestbed()
        defer { bed.dir.remove() }
        let file = try bed.pipeline("""
          tuned: {uses: finetune, model: base, data: splits, tokenizer: tok, batch_size: 4, max_steps: 4, eval: {every: 2, batches: 1}}
        """)
        let record = try bed.run(file, cache: "c")
        #expect(record.exitStatus == 0)
        let metrics = try ArtifactFiles.readJSON(TrainingMetrics.self, from: bed.artifact(record, "tuned", cache: "c").appendingPathComponent("metrics.json"))
        #expect(metrics.steps == [0, 2])
        #expect(record.stages["tuned"]?.metrics["steps"] == .number(4))
    }

    /// Dropout, shuffling, accumulation and an interruption: the resumed run's weights equal the uninterrupted
    /// run's bit for bit, both after a clean stop (Ctrl-C) and after a kill that loses everything since the
    /// last periodic checkpoint.
    @Test func interruptedRunsResumeToTheSameWeights() throws {
        let bed = try MLTestbed()
        defer { bed.dir.remove() }
        let file = try bed.pipeline("""
          tuned: {uses: finetune, model: base, data: splits, tokenizer: tok, epochs: 2, batch_size: 4, grad_accumulation: 2, dropout: 0.1, optimizer: {lr: 0.002}, eval: {every: 2, batches: 2}, checkpoint_every: 3}
        """)
        let reference = try bed.run(file, cache: "a")
        #expect(reference.exitStatus == 0)
        let expected = try Data(contentsOf: bed.artifact(reference, "tuned", cache: "a").appendingPathComponent("model.safetensors"))
        let expectedMetrics = try Data(contentsOf: bed.artifact(reference, "tuned", cache: "a").appendingPathComponent("metrics.json"))

        // Clean stop after step 5 of 8, in the second epoch (not a checkpoint multiple): the stage checkpoints where it stopped.
        let cancel = CancellationFlag()
        let stopping = TestObserver()
        stopping.onProgress = { name, p in if name == "tuned" && p.step == 5 { cancel.cancel() } }
        let stopped = try bed.run(file, cache: "b", observer: stopping, cancel: cancel)
        #expect(stopped.exitStatus == 130)
        let resumedObserver = TestObserver()
        let resumed = try bed.run(file, cache: "b", observer: resumedObserver)
        #expect(resumed.exitStatus == 0)
        #expect(resumedObserver.messages.contains { $0.contains("resuming from the checkpoint at step 5") })
        let out = bed.artifact(resumed, "tuned", cache: "b")
        #expect(try Data(contentsOf: out.appendingPathComponent("model.safetensors")) == expected)
        let metrics = try ArtifactFiles.readJSON(TrainingMetrics.self, from: out.appendingPathComponent("metrics.json"))
        var reference2 = try JSONDecoder().decode(TrainingMetrics.self, from: expectedMetrics)
        reference2.seconds = metrics.seconds
        reference2.tokensPerSecond = metrics.tokensPerSecond
        #expect(metrics == reference2)

        // A kill: snapshot the work directory while step 4 runs (latest checkpoint: step 3, in the first
        // epoch), let the run finish, then start another cache from the snapshot as if the process had died there.
        let snapshot = bed.dir.file("snapshot")
        let watching = TestObserver()
        let work = bed.workDirectory(reference, "tuned", cache: "c")
        watching.onProgress = { name, p in
            if name == "tuned" && p.step == 4 { try? FileManager.default.copyItem(at: work, to: snapshot) }
        }
        _ = try bed.run(file, cache: "c", observer: watching)
        #expect(FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("latest.json").path))
        let killedWork = bed.workDirectory(reference, "tuned", cache: "d")
        try FileManager.default.createDirectory(at: killedWork.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: snapshot, to: killedWork)
        let afterKillObserver = TestObserver()
        let afterKill = try bed.run(file, cache: "d", observer: afterKillObserver)
        #expect(afterKillObserver.messages.contains { $0.contains("resuming from the checkpoint at step 3") })
        #expect(try Data(contentsOf: bed.artifact(afterKill, "tuned", cache: "d").appendingPathComponent("model.safetensors")) == expected)
    }

    @Test func loraTrainsAdaptersAndExportsMergedWeights() throws {
        let bed = try MLTestbed()
        defer { bed.dir.remove() }
        let file = try bed.pipeline("""
          tuned: {uses: finetune, model: base, data: splits, tokenizer: tok, batch_size: 4, max_steps: 6, mask_prompt: true, optimizer: {lr: 0.01}, lora: {rank: 4, alpha: 8}, eval: {every: 5, batches: 1}}
        """)
        let record = try bed.run(file, cache: "c")
        #expect(record.exitStatus == 0, "\(record.stages["tuned"]?.error ?? "")")
        let tuned = try Checkpoint.load(from: bed.artifact(record, "tuned", cache: "c"))
        let base = try Checkpoint.load(from: bed.dir.file("model"))
        // Embeddings and layer norms are not adapted; adapted projections changed by the merged update.
        #expect(tuned["wte.weight"].toArray() == base["wte.weight"].toArray())
        #expect(tuned["h.0.ln_1.weight"].toArray() == base["h.0.ln_1.weight"].toArray())
        #expect(tuned["h.0.attn.c_attn.weight"].toArray() != base["h.0.attn.c_attn.weight"].toArray())
        #expect(tuned["h.1.mlp.c_fc.weight"].toArray() != base["h.1.mlp.c_fc.weight"].toArray())
    }

    @Test func tokenizerLargerThanTheModelIsAClearError() throws {
        let bed = try MLTestbed()
        defer { bed.dir.remove() }
        var small = bed.baseConfig
        small.vocab = 100
        try Checkpoint.save(try GPTWeights.random(config: small, seed: 1), to: bed.dir.file("model"))
        let file = try bed.pipeline("""
          tuned: {uses: finetune, model: base, data: splits, tokenizer: tok, batch_size: 4, max_steps: 1}
        """)
        let record = try bed.run(file, cache: "c")
        #expect(record.exitStatus == 1)
        #expect(record.stages["tuned"]?.error?.contains("embedding has only 100 rows") == true)
    }
}
