import Foundation
import GPT
import Pipeline
import TensorCore

extension OptimizerConfig.Kind: ConfigChoices {}
extension ScheduleConfig.Kind: ConfigChoices {}

/// Configuration of the `finetune` stage. Defaults are chapter 7's: 2 epochs, batch 8, shuffled training
/// batches with the last partial batch dropped, AdamW (lr 5e-5, weight decay 0.1), constant learning rate,
/// evaluation every 5 optimizer steps over 5 batches of train and validation, fp32.
public struct FinetuneConfig: StageConfiguration, Equatable {
    /// A `model` artifact (Hugging Face checkpoint directory).
    public var model: StageRef
    /// A `splits` artifact: trains on `train`, evaluates on `validation`.
    public var data: StageRef
    /// A `tokenizer` artifact; its `<|endoftext|>` id ends every example and pads batches.
    public var tokenizer: StageRef
    /// Passes over the training split; default 2.
    public var epochs: Int
    /// Examples per micro-batch; default 8.
    public var batchSize: Int
    /// Stop after this many optimizer steps (nil: run every epoch); default nil.
    public var maxSteps: Int?
    /// Reshuffle the training examples every epoch (seeded by the pipeline seed); default true.
    public var shuffle: Bool
    /// Drop the last, smaller training batch of each epoch; default true (chapter 7's train loader).
    public var dropLast: Bool
    /// Default chapter 7's AdamW.
    public var optimizer: OptimizerConfig
    /// Default constant.
    public var schedule: ScheduleConfig
    /// Clip gradients to this global L2 norm before each step; default nil (no clipping).
    public var gradClip: Double?
    /// Micro-batches per optimizer step; default 1.
    public var gradAccumulation: Int
    public var eval: EvalConfig
    /// Truncate batches to this many tokens (chapter 7's `allowed_max_length`); default nil = the model's
    /// context length (chapter 7 passes 1024, GPT-2's context).
    public var maxLength: Int?
    /// Compute the loss on the response only (exercise 7.2); default false.
    public var maskPrompt: Bool
    /// Precision of matrix products; default fp32.
    public var precision: PrecisionChoice
    /// Train low-rank adapters instead of all weights (merged into the exported weights); default nil.
    public var lora: LoRAConfig?
    /// Dropout during training; default 0.0 (chapter 7's `drop_rate`).
    public var dropout: Double
    /// Write a resumable checkpoint to the work directory every N optimizer steps; default 50.
    public var checkpointEvery: Int

    /// `eval: {every, batches}`: chapter 7's `eval_freq` and `eval_iter`.
    public struct EvalConfig: Codable, Equatable, Sendable {
        /// Evaluate after optimizer step 1 and every `every` steps after it; default 5.
        public var every: Int
        /// Batches of train and of validation per evaluation; default 5.
        public var batches: Int

        public init(every: Int = 5, batches: Int = 5) {
            self.every = every
            self.batches = batches
        }

        enum CodingKeys: String, CodingKey { case every, batches }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            every = try c.value(.every, default: 5)
            batches = try c.value(.batches, default: 5)
        }
    }

    enum CodingKeys: String, CodingKey {
        case model, data, tokenizer, epochs, batchSize = "batch_size", maxSteps = "max_steps", shuffle
        case dropLast = "drop_last", optimizer, schedule, gradClip = "grad_clip", gradAccumulation = "grad_accumulation"
        case eval, maxLength = "max_length", maskPrompt = "mask_prompt", precision, lora, dropout
        case checkpointEvery = "checkpoint_every"
    }

    public init(model: StageRef, data: StageRef, tokenizer: StageRef) {
        self.model = model
        self.data = data
        self.tokenizer = tokenizer
        epochs = 2
        batchSize = 8
        maxSteps = nil
        shuffle = true
        dropLast = true
        optimizer = OptimizerConfig()
        schedule = ScheduleConfig()
        gradClip = nil
        gradAccumulation = 1
        eval = EvalConfig()
        maxLength = nil
        maskPrompt = false
        precision = .fp32
        lora = nil
        dropout = 0
        checkpointEvery = 50
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(model: try c.decode(StageRef.self, forKey: .model), data: try c.decode(StageRef.self, forKey: .data),
                  tokenizer: try c.decode(StageRef.self, forKey: .tokenizer))
        epochs = try c.value(.epochs, default: epochs)
        batchSize = try c.value(.batchSize, default: batchSize)
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps)
        shuffle = try c.value(.shuffle, default: shuffle)
        dropLast = try c.value(.dropLast, default: dropLast)
        optimizer = try c.value(.optimizer, default: optimizer)
        schedule = try c.value(.schedule, default: schedule)
        gradClip = try c.decodeIfPresent(Double.self, forKey: .gradClip)
        gradAccumulation = try c.value(.gradAccumulation, default: gradAccumulation)
        eval = try c.value(.eval, default: eval)
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
        maskPrompt = try c.value(.maskPrompt, default: maskPrompt)
        precision = try c.value(.precision, default: precision)
        lora = try c.decodeIfPresent(LoRAConfig.self, forKey: .lora)
        dropout = try c.value(.dropout, default: dropout)
        checkpointEvery = try c.value(.checkpointEvery, default: checkpointEvery)
    }

    public var references: [StageReference] {
        [StageReference(model, accepts: ["model"]), StageReference(data, accepts: ["splits"]),
         StageReference(tokenizer, accepts: ["tokenizer"])]
    }

    public func validate() -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        func positive(_ value: Int?, _ path: [String]) {
            if let value, value < 1 { issues.append(ConfigIssue(path, "must be at least 1, got \(value)")) }
        }
        positive(epochs, ["epochs"])
        positive(batchSize, ["batch_size"])
        positive(maxSteps, ["max_steps"])
        positive(gradAccumulation, ["grad_accumulation"])
        positive(eval.every, ["eval", "every"])
        positive(eval.batches, ["eval", "batches"])
        positive(checkpointEvery, ["checkpoint_every"])
        if let maxLength, maxLength < 1 { issues.append(ConfigIssue(["max_length"], "must be at least 1 token, got \(maxLength)")) }
        if let gradClip, !(gradClip > 0) { issues.append(ConfigIssue(["grad_clip"], "must be a positive norm, got \(gradClip)")) }
        if !(dropout >= 0 && dropout < 1) { issues.append(ConfigIssue(["dropout"], "must be in [0, 1), got \(dropout)")) }
        do { try optimizer.validate() } catch { issues.append(ConfigIssue(["optimizer"], error.localizedDescription)) }
        do { try schedule.validate() } catch { issues.append(ConfigIssue(["schedule"], error.localizedDescription)) }
        if let lora {
            do { try lora.validate() } catch { issues.append(ConfigIssue(["lora"], error.localizedDescription)) }
        }
        return issues
    }
}
