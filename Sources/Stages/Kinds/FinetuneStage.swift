import Foundation
import GPT
import Pipeline
import TensorCore
import Tokenizers

/// `uses: finetune` — chapter 7's training loop (`train_model_simple`) on a `splits` artifact.
///
/// Per optimizer step: forward, backward, step (after `grad_accumulation` micro-batches). The chapter's
/// `global_step` starts at -1 and is incremented after each step, and it evaluates when `global_step % eval_freq
/// == 0` — so after the first step and every `eval.every` steps after it — over `eval.batches` batches of a
/// fresh pass of the train loader and of the validation loader (in order, last partial batch kept). The losses
/// before training are measured the same way. `tokens_seen` adds rows × length of every training batch.
///
/// Output: the model (`model.safetensors`, `config.json`, LoRA merged) plus `metrics.json` (`TrainingMetrics`).
/// Resumable: a checkpoint goes to the work directory every `checkpoint_every` steps and when the run is
/// interrupted; a rerun continues from it and ends with the same weights as an uninterrupted run.
public struct FinetuneStage: StageKind {
    public typealias Configuration = FinetuneConfig

    public init() {}

    public var name: String { "finetune" }
    // 2: config.json gives layer_norm_epsilon and dropout as decimals and the tokenizer's end-of-text id.
    public var version: Int { 2 }
    public var produces: ArtifactType { "model" }
    public var usesSeed: Bool { true }
    public var summary: String { "fine-tunes a model on a splits artifact (chapter 7's loop)" }

    public func describe(artifact: URL) -> String? {
        guard let m = try? ArtifactFiles.readJSON(TrainingMetrics.self, from: artifact.appendingPathComponent(TrainingMetrics.fileName)) else {
            return nil
        }
        let last = m.steps.last.map { "step \($0): train loss \(format(m.trainLoss.last)), val loss \(format(m.valLoss.last))" } ?? "no evaluation"
        return "\(last); \(String(format: "%.1f", m.seconds)) s, \(String(format: "%.0f", m.tokensPerSecond)) tokens/s"
    }

    public func run(_ c: FinetuneConfig, context: StageContext) throws -> [String: JSONValue] {
        let tokenizer = try BPETokenizer.load(directory: context.input(c.tokenizer))
        var weights = try Checkpoint.load(from: context.input(c.model))
        guard tokenizer.vocabSize <= weights.config.vocab else {
            throw FinetuneError.vocabularyTooLarge(tokenizer: tokenizer.vocabSize, model: weights.config.vocab)
        }
        if Float(c.dropout) != weights.config.dropout {
            var config = weights.config
            config.dropout = Float(c.dropout)
            weights = try GPTWeights(config: config, tensors: Dictionary(uniqueKeysWithValues: weights.named))
        }
        let splits = try ArtifactFiles.readSplits(from: context.input(c.data))
        let train = FinetuneExamples(splits.train, tokenizer: tokenizer, maskPrompt: c.maskPrompt)
        let validation = FinetuneExamples(splits.validation, tokenizer: tokenizer, maskPrompt: c.maskPrompt)
        let loop = try FinetuneLoop(config: c, weights: weights, train: train, validation: validation, padId: tokenizer.eotId,
                                    seed: context.seed, context: context)
        let metrics = try loop.run()

        let exported = try loop.model.lora.map { try $0.merged(into: weights) } ?? weights
        try Checkpoint.save(exported, to: context.outputDirectory, endOfText: tokenizer.eotId)
        try ArtifactFiles.writeJSON(metrics, to: context.outputDirectory.appendingPathComponent(TrainingMetrics.fileName))

        var result: [String: JSONValue] = [
            "steps": .number(Double(loop.position.step)),
            "tokens_seen": .number(Double(loop.position.tokensSeen)),
            "seconds": .number(metrics.seconds),
            "tokens_per_s": .number(metrics.tokensPerSecond),
        ]
        if let t = metrics.trainLoss.last { result["train_loss"] = .number(t) }
        if let v = metrics.valLoss.last { result["val_loss"] = .number(v) }
        return result
    }

    private func format(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "–" }
}

/// The state and steps of one fine-tuning run.
final class FinetuneLoop {
    let config: FinetuneConfig
    let model: GPTModel
    let trainer: Trainer
    let train: FinetuneExamples
    let validation: FinetuneExamples
    let padId: Int
    let maxLength: Int
    let context: StageContext
    let checkpoint: FinetuneCheckpoint
    /// Streams for the training order (fork by epoch) and the train-loader passes of evaluations (fork by step).
    let orderStream: RNG
    let evalStream: RNG
    let totalSteps: Int
    private(set) var position = FinetuneCheckpoint.Position()

    init(config c: FinetuneConfig, weights: GPTWeights, train: FinetuneExamples, validation: FinetuneExamples,
         padId: Int, seed: UInt64, context: StageContext) throws {
        config = c
        self.train = train
        self.validation = validation
        self.padId = padId
        self.context = context
        maxLength = min(c.maxLength ?? weights.config.context, weights.config.context)
        model = GPTModel(weights: weights)
        if let lora = c.lora { model.attach(try LoRA(config: lora, model: weights.config, seed: seed)) }
        let optimizer = try c.optimizer.makeOptimizer([ParameterGroup(named: model.trainableParameters)])
        let base = RNG(seed: seed)
        orderStream = base.fork(0x0D0E)
        evalStream = base.fork(0xE7A1)
        let batchesPerEpoch = train.batchOrder(batchSize: c.batchSize, dropLast: c.dropLast, shuffle: nil).count
        guard batchesPerEpoch > 0 else { throw FinetuneError.noTrainingBatches(examples: train.count, batchSize: c.batchSize) }
        let stepsPerEpoch = (batchesPerEpoch + c.gradAccumulation - 1) / c.gradAccumulation
        totalSteps = min(c.maxSteps ?? Int.max, stepsPerEpoch * c.epochs)
        let schedule = try LRSchedule(c.schedule, peakLR: c.optimizer.lr, totalSteps: totalSteps)
        trainer = try Trainer(model: model, optimizer: optimizer, precision: c.precision.precision,
                              accumulator: GradientAccumulator(microBatches: c.gradAccumulation, maxGradNorm: c.gradClip),
                              schedule: schedule, seed: seed)
        checkpoint = FinetuneCheckpoint(directory: context.workDirectory)
    }

    func trainBatches(epoch: Int) -> [[Int]] {
        train.batchOrder(batchSize: config.batchSize, dropLast: config.dropLast,
                         shuffle: config.shuffle ? orderStream.fork(UInt64(epoch)) : nil)
    }

    /// Chapter 7's `calc_loss_loader(…, num_batches=eval_iter)` on a fresh pass of each loader; nil for an empty loader.
    /// A loss that is not finite stops the run: the curves could not be recorded and the weights are useless.
    func evaluate(stream: UInt64, step: Int) throws -> (train: Double, val: Double?) {
        let n = config.eval.batches
        let trainPass = train.batchOrder(batchSize: config.batchSize, dropLast: config.dropLast,
                                         shuffle: config.shuffle ? evalStream.fork(stream) : nil)
        let valPass = validation.batchOrder(batchSize: config.batchSize, dropLast: false, shuffle: nil)
        func loss(_ pass: [[Int]], _ data: FinetuneExamples, _ split: String) throws -> Double? {
            let batches = pass.prefix(n).map { data.collateBatch($0, padId: padId, maxLength: maxLength) }
            guard !batches.isEmpty else { return nil }
            let value = Double(trainer.evaluate(Array(batches)))
            guard value.isFinite else { throw FinetuneError.diverged(split: split, step: step, loss: value) }
            return value
        }
        // The train loader has at least one batch (checked at the start), so the train loss always exists.
        return (try loss(trainPass, train, "train")!, try loss(valPass, validation, "validation"))
    }

    func run() throws -> TrainingMetrics {
        let started = Date()
        if let saved = try checkpoint.restore(parameters: model.trainableParameters, optimizer: trainer.optimizer) {
            position = saved
            trainer.microStep = saved.microStep
            context.log("resuming from the checkpoint at step \(saved.step) of \(totalSteps)")
        } else {
            let initial = try evaluate(stream: 0, step: -1)
            position.metrics.initial = TrainingMetrics.Initial(train: initial.train, val: initial.val)
        }
        let previousSeconds = position.seconds
        func elapsed() -> Double { previousSeconds + Date().timeIntervalSince(started) }
        context.progress(position.step, of: totalSteps)

        training: while position.epoch < config.epochs {
            let batches = trainBatches(epoch: position.epoch)
            while position.batch < batches.count {
                if position.step >= totalSteps { break training }
                let batch = train.collateBatch(batches[position.batch], padId: padId, maxLength: maxLength)
                let result = trainer.trainStep(batch)
                position.batch += 1
                position.tokensSeen += result.tokens
                var stepped = result.gradNorm != nil
                if !stepped && position.batch == batches.count && trainer.accumulator.pending > 0 {
                    trainer.flush()  // a short last accumulation group at the end of the epoch
                    stepped = true
                }
                guard stepped else { continue }
                position.step += 1
                if position.batch == batches.count {
                    position.epoch += 1
                    position.batch = 0
                }
                try afterStep(elapsed: elapsed)
                if position.batch == 0 { continue training }
            }
            position.epoch += 1
            position.batch = 0
        }
        var metrics = position.metrics
        metrics.seconds = elapsed()
        metrics.tokensPerSecond = metrics.seconds > 0 ? Double(position.tokensSeen) / metrics.seconds : 0
        return metrics
    }

    /// Evaluation, progress, checkpoints and cancellation after optimizer step `position.step`.
    private func afterStep(elapsed: () -> Double) throws {
        position.microStep = trainer.microStep
        if (position.step - 1) % config.eval.every == 0 {
            let losses = try evaluate(stream: UInt64(position.step), step: position.step - 1)
            position.metrics.steps.append(position.step - 1)
            position.metrics.tokensSeen.append(position.tokensSeen)
            position.metrics.trainLoss.append(losses.train)
            if let val = losses.val { position.metrics.valLoss.append(val) }
        }
        context.progress(position.step, of: totalSteps, note: position.metrics.trainLoss.last.map { String(format: "loss %.3f", $0) })
        let cancelled = context.isCancelled
        if cancelled || position.step % config.checkpointEvery == 0 {
            position.seconds = elapsed()
            try checkpoint.save(parameters: model.trainableParameters, optimizer: trainer.optimizer, position: position)
        }
        if cancelled { throw StageCancelled() }
    }
}
