import Foundation

/// AdamW as `torch.optim.AdamW` (single-tensor CPU path): decoupled weight decay, bias correction,
/// moments created lazily on a parameter's first step. Scalars are computed in Double as Python does
/// (`pow(x, 0.5)` for its `x**0.5`, not `sqrt`) and rounded to Float once; the element-wise update follows
/// PyTorch's operation order, so a few steps agree with PyTorch to float rounding.
public final class AdamW: Optimizer {
    public let kind = "adamw"
    public var lr: Double
    public let beta1: Double, beta2: Double, eps: Double
    /// Decay of groups that do not set their own.
    public let weightDecay: Double
    public let groups: [ParameterGroup]
    public private(set) var stepCount = 0

    /// Per-parameter state, as PyTorch's `state[p]`: its own step counter (a parameter without a gradient
    /// does not step) and the two moments.
    public struct ParameterState {
        public var step: Int
        public var expAvg: Tensor
        public var expAvgSq: Tensor
    }
    public private(set) var state: [String: ParameterState] = [:]
    private let byName: [String: Tensor]

    /// Defaults are PyTorch's except `lr` and `weightDecay`, which are chapter 7's (5e-5, 0.1).
    public init(_ groups: [ParameterGroup], lr: Double = 5e-5, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 0.1) {
        self.groups = groups
        self.lr = lr
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        byName = OptimizerStateFormat.byName(groups)
    }

    public convenience init(_ parameters: [NamedParameter], lr: Double = 5e-5, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0.1) {
        self.init([ParameterGroup(parameters)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay)
    }

    public func step() { _ = update(fused: false) }

    /// One pass per chunk of 64K elements while it is in cache: the gradient's sum of squares and the update —
    /// instead of separate passes over every gradient; the gradients are then zeroed without a write
    /// (`discardGradientValues`).
    public func stepReportingNormAndZeroing() -> Float { update(fused: true) }

    private func update(fused: Bool) -> Float {
        stepCount += 1
        var sumOfSquares = 0.0
        for group in groups {
            let wd = group.weightDecay ?? weightDecay
            for p in group.parameters {
                guard let grad = p.tensor.grad else { continue }
                precondition(grad.count == p.tensor.count, "gradient of '\(p.name)' has shape \(grad.shape), parameter \(p.tensor.shape)")
                var s = state[p.name] ?? ParameterState(step: 0, expAvg: Tensor(zeros: p.tensor.shape),
                                                         expAvgSq: Tensor(zeros: p.tensor.shape))
                s.step += 1
                let stepD = Double(s.step)
                let bc1 = 1 - pow(beta1, stepD)
                let bc2 = 1 - pow(beta2, stepD)
                let stepSize = lr / bc1
                let (param, g, m, v) = (p.tensor.data, grad.data, s.expAvg.data, s.expAvgSq.data)
                let decay: Float? = wd != 0 ? Float(1 - lr * wd) : nil
                let (oneMinusBeta1, beta2F, oneMinusBeta2) = (Float(1 - beta1), Float(beta2), Float(1 - beta2))
                let (bc2Sqrt, epsF, negStepSize) = (Float(pow(bc2, 0.5)), Float(eps), Float(-stepSize))
                var partial = [Double](repeating: 0, count: fused ? GradientChunks.count(grad.count) : 0)
                partial.withUnsafeMutableBufferPointer { partial in
                    GradientChunks.forEach(grad.count) { c, lo, n in
                        // The same chunks as `squaredSum`, so the norm equals `gradNorm`'s bit for bit.
                        if fused { partial[c] = squaredSumOfChunk(g + lo, n) }
                        AdamW.update(param: param + lo, grad: g + lo, m: m + lo, v: v + lo, count: n,
                                     decay: decay, oneMinusBeta1: oneMinusBeta1, beta2: beta2F, oneMinusBeta2: oneMinusBeta2,
                                     bc2Sqrt: bc2Sqrt, eps: epsF, negStepSize: negStepSize)
                    }
                }
                if fused { p.tensor.discardGradientValues() }
                // PyTorch rounds each tensor's norm to Float before combining them (see `gradNorm`).
                let norm = Double(Float(partial.reduce(0, +).squareRoot()))
                sumOfSquares += norm * norm
                state[p.name] = s
            }
        }
        return Float(sumOfSquares.squareRoot())
    }

    /// One fused pass; each line is the PyTorch op it stands for:
    /// `param.mul_(1 - lr*wd)`, `exp_avg.lerp_(grad, 1-β1)` (an FMA in PyTorch's vector kernel),
    /// `exp_avg_sq.mul_(β2).addcmul_(grad, grad, value=1-β2)`, `denom = exp_avg_sq.sqrt() / sqrt(bc2) + eps`,
    /// `param.addcdiv_(exp_avg, denom, value=-lr/bc1)` which computes `param + (value*exp_avg)/denom`.
    @inline(__always)
    static func update(param: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>,
                       m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                       decay: Float?, oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float,
                       bc2Sqrt: Float, eps: Float, negStepSize: Float) {
        let d = decay ?? 1
        var i = 0
        while i < count {
            let valid = min(Lanes.scalarCount, count - i)
            let g = loadLanes(grad, i, valid: valid)
            let oldM = loadLanes(m, i, valid: valid)
            let newM = fusedMultiplyAdd(Lanes(repeating: oneMinusBeta1), g - oldM, oldM)
            let newV = loadLanes(v, i, valid: valid) * beta2 + oneMinusBeta2 * g * g
            storeLanes(newM, m, i, valid: valid)
            storeLanes(newV, v, i, valid: valid)
            let denom = newV.squareRoot() / bc2Sqrt + eps
            // With no decay `d` is 1 and the multiplication leaves the value unchanged.
            let p = loadLanes(param, i, valid: valid) * d
            storeLanes(p + (negStepSize * newM) / denom, param, i, valid: valid)
            i += valid
        }
    }

    public func exportState() -> OptimizerState {
        var out = OptimizerStateFormat.header(kind: kind, steps: stepCount)
        for (name, s) in state {
            out.tensors["exp_avg/\(name)"] = s.expAvg
            out.tensors["exp_avg_sq/\(name)"] = s.expAvgSq
            out.metadata["step/\(name)"] = String(s.step)
        }
        return out
    }

    public func importState(_ saved: OptimizerState, file: String) throws {
        let steps = try OptimizerStateFormat.checkHeader(saved, kind: kind, file: file)
        try OptimizerStateFormat.checkTensors(saved, prefixes: ["exp_avg", "exp_avg_sq"], parameters: byName, file: file)
        var restored: [String: ParameterState] = [:]
        for name in byName.keys {
            let m = saved.tensors["exp_avg/\(name)"], v = saved.tensors["exp_avg_sq/\(name)"]
            if m == nil && v == nil && saved.metadata["step/\(name)"] == nil { continue }  // never stepped
            guard let m else { throw OptimizerError.stateMissingEntry(file: file, entry: "exp_avg/\(name)") }
            guard let v else { throw OptimizerError.stateMissingEntry(file: file, entry: "exp_avg_sq/\(name)") }
            let step = try OptimizerStateFormat.integer(saved, "step/\(name)", file: file)
            restored[name] = ParameterState(step: step, expAvg: OptimizerStateFormat.copy(m), expAvgSq: OptimizerStateFormat.copy(v))
        }
        state = restored
        stepCount = steps
    }
}
