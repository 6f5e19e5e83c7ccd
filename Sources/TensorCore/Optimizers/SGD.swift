import Foundation

/// SGD as `torch.optim.SGD`: L2 weight decay added to the gradient (coupled, unlike AdamW), optional
/// momentum with dampening and Nesterov. The momentum buffer starts as a copy of the first gradient.
public final class SGD: Optimizer {
    public let kind = "sgd"
    public var lr: Double
    public let momentum: Double, dampening: Double, nesterov: Bool
    public let weightDecay: Double
    public let groups: [ParameterGroup]
    public private(set) var stepCount = 0
    /// Momentum buffers by parameter name (empty when momentum is 0).
    public private(set) var momentumBuffers: [String: Tensor] = [:]
    private let byName: [String: Tensor]

    /// Defaults are PyTorch's except `lr`, which PyTorch requires and Finch sets to chapter 7's 5e-5.
    public init(_ groups: [ParameterGroup], lr: Double = 5e-5, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, weightDecay: Double = 0) {
        self.groups = groups
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        byName = OptimizerStateFormat.byName(groups)
    }

    /// Element-wise, in PyTorch's order: `g = grad + wd*param` (`grad.add(param, alpha=wd)`),
    /// `buf = buf*μ + (1-τ)*g`, `g = g + μ*buf` (Nesterov) or `g = buf`, `param = param + (-lr)*g`;
    /// PyTorch's `add(…, alpha=)` vector kernel is a fused multiply-add, hence `fusedMultiplyAdd`.
    public func step() {
        stepCount += 1
        for group in groups {
            let wd = Float(group.weightDecay ?? weightDecay)
            for p in group.parameters {
                guard let grad = p.tensor.grad else { continue }
                precondition(grad.count == p.tensor.count, "gradient of '\(p.name)' has shape \(grad.shape), parameter \(p.tensor.shape)")
                var buffer: Tensor?
                var first = false
                if momentum != 0 {
                    first = momentumBuffers[p.name] == nil
                    buffer = momentumBuffers[p.name] ?? Tensor(zeros: p.tensor.shape)
                    momentumBuffers[p.name] = buffer
                }
                update(param: p.tensor.data, grad: grad.data, buffer: buffer?.data, firstStep: first, count: p.tensor.count,
                       weightDecay: wd)
            }
        }
    }

    @inline(__always)
    private func update(param: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>,
                        buffer: UnsafeMutablePointer<Float>?, firstStep: Bool, count: Int, weightDecay wd: Float) {
        let mu = Lanes(repeating: Float(momentum)), keep = Lanes(repeating: Float(1 - dampening))
        let negLR = Lanes(repeating: Float(-lr)), decay = Lanes(repeating: wd)
        var i = 0
        while i < count {
            let valid = min(Lanes.scalarCount, count - i)
            let p = loadLanes(param, i, valid: valid)
            var g = loadLanes(grad, i, valid: valid)
            if wd != 0 { g = fusedMultiplyAdd(p, decay, g) }
            if let buffer {
                // The buffer starts as a copy of the first (decayed) gradient.
                let b = firstStep ? g : fusedMultiplyAdd(g, keep, loadLanes(buffer, i, valid: valid) * mu)
                storeLanes(b, buffer, i, valid: valid)
                g = nesterov ? fusedMultiplyAdd(b, mu, g) : b
            }
            storeLanes(fusedMultiplyAdd(g, negLR, p), param, i, valid: valid)
            i += valid
        }
    }

    public func exportState() -> OptimizerState {
        var out = OptimizerStateFormat.header(kind: kind, steps: stepCount)
        for (name, buffer) in momentumBuffers { out.tensors["momentum_buffer/\(name)"] = buffer }
        return out
    }

    public func importState(_ saved: OptimizerState, file: String) throws {
        let steps = try OptimizerStateFormat.checkHeader(saved, kind: kind, file: file)
        try OptimizerStateFormat.checkTensors(saved, prefixes: ["momentum_buffer"], parameters: byName, file: file)
        var restored: [String: Tensor] = [:]
        for (key, tensor) in saved.tensors {
            restored[String(key.dropFirst("momentum_buffer/".count))] = OptimizerStateFormat.copy(tensor)
        }
        momentumBuffers = restored
        stepCount = steps
    }
}
