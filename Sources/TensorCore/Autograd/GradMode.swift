/// Per-task switches read by every op: whether to record a backward graph, and the precision of
/// matrix products. Task-local values are also visible to synchronous code on the calling thread,
/// so `withoutGradients { }` and `withPrecision(.bf16) { }` work in plain synchronous loops.
public enum GradMode {
    /// True while ops record their backward (the default).
    @TaskLocal public static var isEnabled = true
}

public enum ComputeSettings {
    /// Precision of every matrix product an op performs (forward and backward); `.bf16` rounds the
    /// inputs of each product to bf16 and accumulates in fp32, so master weights stay fp32.
    @TaskLocal public static var precision: Precision = .fp32
}

/// Runs `body` without recording a graph: results carry no backward and ops save no activations.
/// For evaluation and generation. Dropout is not switched off by this (pass probability 0 for that),
/// matching PyTorch, where `no_grad` and `eval()` are separate.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// Runs `body` with every matrix product (forward and backward recorded inside) in `precision`.
public func withPrecision<R>(_ precision: Precision, _ body: () throws -> R) rethrows -> R {
    try ComputeSettings.$precision.withValue(precision, operation: body)
}
