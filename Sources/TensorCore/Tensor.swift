import Foundation

/// 64-byte-aligned Float32 memory owned by one or more tensors (views share it). Tensors of 1 MiB and more
/// live in blocks recycled by `TensorMemory`, smaller ones come from malloc.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Size of the `TensorMemory` block holding the values (0: malloc'd), for giving it back.
    private let blockBytes: Int

    /// Zero-filled storage; alignment suits AVX-512 loads and oneDNN's preferences.
    public convenience init(count: Int) {
        self.init(uninitializedCount: count, zeroed: true)
    }

    /// Storage whose contents are undefined, for kernel outputs that write every element (skips a
    /// memset of the whole buffer, which costs ~10 ms on a [544, 50257] logits-sized tensor).
    convenience init(uninitializedCount count: Int) {
        self.init(uninitializedCount: count, zeroed: false)
    }

    private init(uninitializedCount count: Int, zeroed: Bool) {
        precondition(count >= 0, "negative element count")
        self.count = count
        let memory = TensorMemory.allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride, zeroed: zeroed)
        pointer = memory.pointer.bindMemory(to: Float.self, capacity: max(count, 1))
        blockBytes = memory.blockBytes
    }

    deinit { TensorMemory.free(UnsafeMutableRawPointer(pointer), blockBytes: blockBytes) }
}

/// A contiguous row-major Float32 array with a shape.
///
/// Autodiff: a tensor with `requiresGrad` and no producing op is a *leaf* (a parameter); `backward()`
/// accumulates into its `grad`. A tensor produced by an op while gradients are enabled carries a
/// `GradNode` that knows how to push its gradient to the op's inputs; intermediate gradients are
/// transient and never stored in `grad`.
///
/// Memory: a recorded op keeps only what its backward reads (linear: its input, and its weight only
/// when the input needs a gradient; layer norm: input + 2 floats per row; GELU: input; the MLP's
/// gelu_linear: only its pre-GELU input; attention: qkv + weights [B, H, T, T]; cross-entropy:
/// probabilities instead of logits; add, reshape, slice, embedding, dropout: nothing but indices or
/// an RNG state). A GPT-2 block therefore keeps about 12·C + H·T floats per token, ≈ 0.72 GB for
/// gpt2-medium at B=8, T=70 over 24 layers, and
/// `backward()` frees each op's saved tensors as soon as its step has run.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: TensorStorage
    /// Accumulated gradient of a leaf, same shape; allocated by the first backward pass that reaches it.
    /// After `discardGradientValues()` it reads as zeros (filled when first read), see `gradientToOverwrite()`.
    public var grad: Tensor? {
        get {
            if gradIsStale, let g = storedGrad { g.data.update(repeating: 0, count: g.count) }
            gradIsStale = false
            return storedGrad
        }
        set {
            storedGrad = newValue
            gradIsStale = false
        }
    }
    private var storedGrad: Tensor?
    /// Whether `storedGrad`'s values are left over from before the last zeroing.
    private var gradIsStale = false
    /// For leaves: whether backward passes should accumulate into `grad`. Op results report `true`
    /// while they are part of a recorded graph.
    public var requiresGrad: Bool
    /// The op that produced this tensor (nil for leaves and for results computed without gradients).
    var node: GradNode?
    /// Leaves hand out one slot so every op that reads the same parameter accumulates into one place.
    private var leafSlot: GradNode?

    public var count: Int { storage.count }
    public var data: UnsafeMutablePointer<Float> { storage.pointer }

    public init(zeros shape: [Int], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
        self.requiresGrad = requiresGrad
    }

    /// A tensor whose values are undefined until a kernel writes all of them.
    init(uninitialized shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: shape.reduce(1, *))
        self.requiresGrad = false
    }

    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.init(zeros: shape, requiresGrad: requiresGrad)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    public convenience init(shape: [Int], repeating value: Float, requiresGrad: Bool = false) {
        self.init(zeros: shape, requiresGrad: requiresGrad)
        data.update(repeating: value, count: count)
    }

    /// A tensor sharing this one's storage under another shape with the same element count.
    /// The view is detached from autodiff; use `reshape(_:_:)` for a differentiable view.
    public init(viewing other: Tensor, as shape: [Int]) {
        precondition(shape.reduce(1, *) == other.count, "cannot view \(other.shape) as \(shape)")
        self.shape = shape
        self.storage = other.storage
        self.requiresGrad = false
    }

    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The single value of a one-element tensor (a loss).
    public var item: Float {
        precondition(count == 1, "item needs a one-element tensor, shape is \(shape)")
        return data[0]
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Sets `grad` to nil (the next backward pass allocates a fresh zero gradient).
    public func zeroGrad() { grad = nil }

    /// Zeroes `grad` without touching its memory: the buffer is kept and its old values count as zeros.
    /// The next backward product into it overwrites it instead of adding to zeros, which saves the
    /// optimizer a write of every gradient and each weight-gradient product a read of its destination;
    /// anything that reads `grad` first gets it zero-filled.
    public func discardGradientValues() { gradIsStale = storedGrad != nil }

    /// The gradient buffer when its values were discarded, for a backward step that writes every element;
    /// it counts as current from then on. Nil when there is no buffer or it holds a live gradient.
    func gradientToOverwrite() -> Tensor? {
        guard gradIsStale else { return nil }
        gradIsStale = false
        return storedGrad
    }

    /// The same values as a new leaf that is not part of any graph (like PyTorch's `detach()`;
    /// shares storage).
    public func detached() -> Tensor { Tensor(viewing: self, as: shape) }

    /// Whether an op reading this tensor has to record a backward step for it.
    var tracksGradient: Bool { node != nil || requiresGrad }

    /// Where gradients flowing into this tensor go: its producing node, or (for a leaf) a slot
    /// that accumulates into `grad`.
    var gradTarget: GradNode? {
        if let node { return node }
        guard requiresGrad else { return nil }
        if let leafSlot { return leafSlot }
        let slot = GradNode(leaf: self)
        leafSlot = slot
        return slot
    }

    /// Shape check for kernels: traps with the op's name and both shapes (a programming error).
    func expectShape(_ expected: [Int], _ what: @autoclosure () -> String) {
        precondition(shape == expected, "\(what()): expected shape \(expected), got \(shape)")
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = (0..<min(count, 8)).map { String(data[$0]) }.joined(separator: ", ")
        return "Tensor(\(shape): [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
