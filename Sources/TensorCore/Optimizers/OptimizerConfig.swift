import Foundation

/// Optimizer settings (`optimizer:` in a pipeline), e.g. `{kind: adamw, lr: 5.0e-5, weight_decay: 0.1,
/// betas: [0.9, 0.999]}`. Missing keys take these defaults: chapter 7's AdamW (lr 5e-5, weight decay 0.1,
/// applied to every parameter) with PyTorch's betas (0.9, 0.999) and eps 1e-8. For `sgd`, weight decay
/// defaults to 0 (PyTorch's) and `momentum`, `dampening`, `nesterov` apply; `betas`/`eps` are ignored.
public struct OptimizerConfig: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case adamw, sgd }

    public var kind: Kind
    public var lr: Double
    /// nil = the kind's default (adamw 0.1, sgd 0).
    public var weightDecay: Double?
    public var betas: [Double]
    public var eps: Double
    public var momentum: Double
    public var dampening: Double
    public var nesterov: Bool

    public init(kind: Kind = .adamw, lr: Double = 5e-5, weightDecay: Double? = nil, betas: [Double] = [0.9, 0.999],
                eps: Double = 1e-8, momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false) {
        self.kind = kind
        self.lr = lr
        self.weightDecay = weightDecay
        self.betas = betas
        self.eps = eps
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
    }

    /// The weight decay in effect for groups that do not set their own.
    public var effectiveWeightDecay: Double { weightDecay ?? (kind == .adamw ? 0.1 : 0) }

    enum CodingKeys: String, CodingKey {
        case kind, lr, weightDecay = "weight_decay", betas, eps, momentum, dampening, nesterov
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = OptimizerConfig()
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? d.kind
        lr = try c.decodeIfPresent(Double.self, forKey: .lr) ?? d.lr
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay)
        betas = try c.decodeIfPresent([Double].self, forKey: .betas) ?? d.betas
        eps = try c.decodeIfPresent(Double.self, forKey: .eps) ?? d.eps
        momentum = try c.decodeIfPresent(Double.self, forKey: .momentum) ?? d.momentum
        dampening = try c.decodeIfPresent(Double.self, forKey: .dampening) ?? d.dampening
        nesterov = try c.decodeIfPresent(Bool.self, forKey: .nesterov) ?? d.nesterov
    }

    /// Ranges PyTorch enforces, plus Nesterov's requirement of momentum without dampening.
    public func validate() throws {
        func bad(_ name: String, _ value: Any, _ expected: String) -> OptimizerError {
            .invalidSetting(name: "optimizer.\(name)", value: "\(value)", expected: expected)
        }
        guard lr >= 0, lr.isFinite else { throw bad("lr", lr, "a finite number ≥ 0") }
        guard effectiveWeightDecay >= 0, effectiveWeightDecay.isFinite else {
            throw bad("weight_decay", effectiveWeightDecay, "a finite number ≥ 0")
        }
        switch kind {
        case .adamw:
            guard betas.count == 2 else { throw bad("betas", betas, "a list of two numbers, e.g. [0.9, 0.999]") }
            for (i, b) in betas.enumerated() where !(b >= 0 && b < 1) { throw bad("betas[\(i)]", b, "in [0, 1)") }
            guard eps >= 0, eps.isFinite else { throw bad("eps", eps, "a finite number ≥ 0") }
        case .sgd:
            guard momentum >= 0, momentum.isFinite else { throw bad("momentum", momentum, "a finite number ≥ 0") }
            guard dampening >= 0, dampening.isFinite else { throw bad("dampening", dampening, "a finite number ≥ 0") }
            if nesterov && (momentum == 0 || dampening != 0) {
                throw bad("nesterov", nesterov, "false unless momentum > 0 and dampening is 0")
            }
        }
    }

    /// Builds the configured optimizer over `groups` (a group's own `weightDecay` overrides the config's).
    public func makeOptimizer(_ groups: [ParameterGroup]) throws -> Optimizer {
        try validate()
        switch kind {
        case .adamw:
            return AdamW(groups, lr: lr, betas: (betas[0], betas[1]), eps: eps, weightDecay: effectiveWeightDecay)
        case .sgd:
            return SGD(groups, lr: lr, momentum: momentum, dampening: dampening, nesterov: nesterov,
                       weightDecay: effectiveWeightDecay)
        }
    }
}
