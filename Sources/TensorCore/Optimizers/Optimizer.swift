import Foundation

/// Optimizer state as named tensors plus string metadata: exactly what a safetensors file holds,
/// so a checkpoint is one `.safetensors` file that resumes bit-identically (fp32 written raw).
public struct OptimizerState {
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }
}

/// A first-order optimizer over named parameter groups, with PyTorch's semantics:
/// `step()` updates every parameter whose `grad` is set and skips those whose `grad` is nil.
public protocol Optimizer: AnyObject {
    /// `adamw` or `sgd`; recorded in saved state so a resume with another kind is refused.
    var kind: String { get }
    /// Learning rate for the next `step()`; a schedule sets it before each step.
    var lr: Double { get set }
    var groups: [ParameterGroup] { get }
    /// Number of `step()` calls so far (restored from checkpoints).
    var stepCount: Int { get }
    func step()
    /// `step()` then `zeroGrad()`, returning the global L2 norm the gradients had before the step (as
    /// `gradNorm` computes it, bit for bit). An optimizer that reads every gradient anyway can do all three
    /// in one pass over memory.
    func stepReportingNormAndZeroing() -> Float
    func exportState() -> OptimizerState
    /// Replaces the state with a copy of `state`; `file` names the source in error messages.
    func importState(_ state: OptimizerState, file: String) throws
}

extension Optimizer {
    public var parameters: [NamedParameter] { groups.flatMap(\.parameters) }

    public func stepReportingNormAndZeroing() -> Float {
        let norm = gradNorm(parameters.map(\.tensor))
        step()
        zeroGrad()
        return norm
    }

    /// Clears gradients before the next accumulation. Unlike PyTorch's default (`set_to_none=True`), the
    /// buffers are kept unless `setToNone` is true, their values discarded (`discardGradientValues`: they
    /// read as zeros and the next backward overwrites them): cheaper than reallocating hundreds of
    /// megabytes every step, and than filling them with zeros.
    public func zeroGrad(setToNone: Bool = false) {
        for p in parameters {
            if setToNone { p.tensor.grad = nil } else { p.tensor.discardGradientValues() }
        }
    }

    public func saveState(to url: URL) throws {
        let state = exportState()
        try SafetensorsWriter.write(state.tensors, metadata: state.metadata, to: url)
    }

    public func loadState(from url: URL) throws {
        let file = try SafetensorsFile(url: url)
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        try importState(OptimizerState(tensors: tensors, metadata: file.metadata), file: url.path)
    }
}

/// Shared checks and bookkeeping for optimizers that keep per-parameter state.
enum OptimizerStateFormat {
    static let formatKey = "format", formatValue = "finch-optimizer-state-1"
    static let kindKey = "kind", stepsKey = "steps"

    /// An empty state carrying the header `checkHeader` reads back.
    static func header(kind: String, steps: Int) -> OptimizerState {
        OptimizerState(metadata: [formatKey: formatValue, kindKey: kind, stepsKey: String(steps)])
    }

    static func checkHeader(_ state: OptimizerState, kind: String, file: String) throws -> Int {
        guard let format = state.metadata[formatKey] else { throw OptimizerError.stateMissingEntry(file: file, entry: formatKey) }
        guard format == formatValue else { throw OptimizerError.stateInvalidEntry(file: file, entry: formatKey, value: format) }
        guard let found = state.metadata[kindKey] else { throw OptimizerError.stateMissingEntry(file: file, entry: kindKey) }
        guard found == kind else { throw OptimizerError.stateKindMismatch(file: file, found: found, expected: kind) }
        return try integer(state, stepsKey, file: file)
    }

    static func integer(_ state: OptimizerState, _ key: String, file: String) throws -> Int {
        guard let text = state.metadata[key] else { throw OptimizerError.stateMissingEntry(file: file, entry: key) }
        guard let value = Int(text), value >= 0 else { throw OptimizerError.stateInvalidEntry(file: file, entry: key, value: text) }
        return value
    }

    /// Every tensor entry must be `<prefix>/<parameter name>` for a known parameter with the same shape.
    static func checkTensors(_ state: OptimizerState, prefixes: [String], parameters: [String: Tensor], file: String) throws {
        for (key, tensor) in state.tensors {
            guard let slash = key.firstIndex(of: "/"), prefixes.contains(String(key[..<slash])) else {
                throw OptimizerError.stateInvalidEntry(file: file, entry: key, value: "tensor of shape \(tensor.shape)")
            }
            let name = String(key[key.index(after: slash)...])
            guard let p = parameters[name] else { throw OptimizerError.stateUnknownParameter(file: file, name: name) }
            guard p.shape == tensor.shape else {
                throw OptimizerError.stateShapeMismatch(file: file, name: name, found: tensor.shape, expected: p.shape)
            }
        }
    }

    static func copy(_ t: Tensor) -> Tensor {
        let c = Tensor(zeros: t.shape)
        c.data.update(from: t.data, count: t.count)
        return c
    }

    static func byName(_ groups: [ParameterGroup]) -> [String: Tensor] {
        var map: [String: Tensor] = [:]
        for p in groups.flatMap(\.parameters) {
            precondition(map[p.name] == nil, "parameter name '\(p.name)' appears twice in the optimizer's groups")
            map[p.name] = p.tensor
        }
        return map
    }
}
