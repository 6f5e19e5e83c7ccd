import Foundation

/// Gradient accumulation: `backward()` sums into `.grad`, so after `microBatches` backward passes the
/// accumulator divides the gradients by the number of micro-batches seen (their mean, as if the loss
/// had been averaged over the large batch), clips, steps and zeroes.
///
///     for batch in batches {
///         loss(batch).backward()
///         if let norm = accumulator.microBatchFinished(optimizer: opt, schedule: sched) { log(norm) }
///     }
///     accumulator.flush(optimizer: opt, schedule: sched)   // a short last group at the end of an epoch
///
/// Its progress is `Codable` so a checkpoint taken mid-group resumes with the same grouping
/// (the gradients accumulated so far must then be saved too, or checkpoints taken only at group ends).
public struct GradientAccumulator: Codable, Equatable, Sendable {
    /// Micro-batches per optimizer step; 1 means no accumulation.
    public let microBatches: Int
    /// Clip the averaged gradients to this global L2 norm before each step; nil = no clipping.
    public let maxGradNorm: Double?
    /// Micro-batches accumulated since the last step.
    public private(set) var pending = 0

    public init(microBatches: Int = 1, maxGradNorm: Double? = nil) throws {
        guard microBatches >= 1 else {
            throw OptimizerError.invalidSetting(name: "grad_accumulation", value: "\(microBatches)", expected: "1 or more")
        }
        if let maxGradNorm, !(maxGradNorm > 0) {
            throw OptimizerError.invalidSetting(name: "grad_clip", value: "\(maxGradNorm)", expected: "a positive number")
        }
        self.microBatches = microBatches
        self.maxGradNorm = maxGradNorm
    }

    /// Call after each micro-batch's backward pass. Steps when the group is complete and returns the
    /// gradient norm of the averaged gradients (before clipping), else nil.
    public mutating func microBatchFinished(optimizer: Optimizer, schedule: LRSchedule? = nil) -> Float? {
        pending += 1
        return pending == microBatches ? stepNow(optimizer, schedule) : nil
    }

    /// Steps on an incomplete group (averaging over the micro-batches it has); nil when nothing is pending.
    @discardableResult
    public mutating func flush(optimizer: Optimizer, schedule: LRSchedule? = nil) -> Float? {
        pending > 0 ? stepNow(optimizer, schedule) : nil
    }

    private mutating func stepNow(_ optimizer: Optimizer, _ schedule: LRSchedule?) -> Float {
        let tensors = optimizer.parameters.map(\.tensor)
        if pending > 1 {
            let n = Float(pending)
            for g in tensors.compactMap(\.grad) { for i in 0..<g.count { g.data[i] /= n } }
        }
        schedule?.apply(to: optimizer, step: optimizer.stepCount)
        pending = 0
        guard let maxGradNorm else { return optimizer.stepReportingNormAndZeroing() }
        let norm = clipGradNorm(tensors, maxNorm: maxGradNorm)
        optimizer.step()
        optimizer.zeroGrad()
        return norm
    }
}
