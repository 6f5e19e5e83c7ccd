import Foundation

/// Learning-rate schedule settings (`schedule:` in a pipeline). With `s` the 0-based index of the optimizer
/// step about to run, `W = warmup_steps`, `T` the run's total number of optimizer steps, `peak` the
/// optimizer's `lr` and `floor = min_lr_ratio × peak`:
///
/// - `constant`: `lr(s) = peak`.
/// - `warmup`:   `lr(s) = peak × (s+1)/W` for `s < W`, then `peak`. The first step already moves
///               (PyTorch's LambdaLR-based warm-ups spend step 0 at lr 0); step `W-1` runs at `peak`.
/// - `cosine`:   the same warm-up, then `lr(s) = floor + (peak − floor) × ½(1 + cos(π (s−W)/(T−W)))`
///               for `W ≤ s < T`, and `floor` from `T` on. Step `W` runs at `peak`; the curve reaches the
///               floor only after the last step, like Raschka's appendix D and Hugging Face's
///               `cosine_with_min_lr`.
public struct ScheduleConfig: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case constant, warmup, cosine }

    /// Default `constant`, chapter 7's behaviour.
    public var kind: Kind
    /// Linear warm-up length in optimizer steps; default 0 (`warmup` needs at least 1).
    public var warmupSteps: Int
    /// Cosine floor as a fraction of the peak lr; default 0.1.
    public var minLRRatio: Double

    public init(kind: Kind = .constant, warmupSteps: Int = 0, minLRRatio: Double = 0.1) {
        self.kind = kind
        self.warmupSteps = warmupSteps
        self.minLRRatio = minLRRatio
    }

    enum CodingKeys: String, CodingKey {
        case kind, warmupSteps = "warmup_steps", minLRRatio = "min_lr_ratio"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ScheduleConfig()
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? d.kind
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps
        minLRRatio = try c.decodeIfPresent(Double.self, forKey: .minLRRatio) ?? d.minLRRatio
    }

    public func validate() throws {
        guard warmupSteps >= 0 else {
            throw OptimizerError.invalidSetting(name: "schedule.warmup_steps", value: "\(warmupSteps)", expected: "0 or more")
        }
        if kind == .warmup && warmupSteps == 0 {
            throw OptimizerError.invalidSetting(name: "schedule.warmup_steps", value: "0",
                                                expected: "at least 1 for kind 'warmup' (or use kind 'constant')")
        }
        guard minLRRatio >= 0 && minLRRatio <= 1 else {
            throw OptimizerError.invalidSetting(name: "schedule.min_lr_ratio", value: "\(minLRRatio)", expected: "between 0 and 1")
        }
    }
}

/// A schedule bound to a peak learning rate and a run length.
public struct LRSchedule: Sendable {
    public let config: ScheduleConfig
    public let peakLR: Double
    public let totalSteps: Int

    public init(_ config: ScheduleConfig, peakLR: Double, totalSteps: Int) throws {
        try config.validate()
        guard totalSteps >= 0 else {
            throw OptimizerError.invalidSetting(name: "total steps", value: "\(totalSteps)", expected: "0 or more")
        }
        self.config = config
        self.peakLR = peakLR
        self.totalSteps = totalSteps
    }

    /// Learning rate of 0-based optimizer step `step` (formulas on `ScheduleConfig`).
    public func lr(at step: Int) -> Double {
        let w = config.warmupSteps
        if config.kind != .constant && step < w { return peakLR * Double(step + 1) / Double(w) }
        guard config.kind == .cosine else { return peakLR }
        let floor = peakLR * config.minLRRatio
        if step >= totalSteps { return floor }
        let progress = Double(step - w) / Double(totalSteps - w)
        return floor + (peakLR - floor) * 0.5 * (1 + cos(Double.pi * progress))
    }

    /// Sets the optimizer's lr for the step about to run.
    public func apply(to optimizer: Optimizer, step: Int) { optimizer.lr = lr(at: step) }
}
