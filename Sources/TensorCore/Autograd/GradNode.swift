/// One recorded op in the backward graph, or the gradient slot of a leaf.
///
/// A node keeps only what its backward needs (captured by `backwardStep`) plus the nodes of the
/// inputs that want gradients — never the input tensors themselves — so activations nobody saved are
/// freed as soon as the forward code drops them. `Tensor.backward` consumes the graph: each node's
/// captures are released right after its step runs.
final class GradNode {
    let op: String
    let shape: [Int]
    /// Set for the slot of a leaf: gradients accumulate into `leaf.grad`. Weak so a dropped
    /// parameter is not kept alive by a graph that still mentions it.
    weak var leaf: Tensor?
    let isLeaf: Bool
    /// Gradient accumulated from consumers during backward (non-leaf nodes only).
    var pending: Tensor?
    /// Nodes of the op's inputs, in the op's argument order; nil for inputs that need no gradient.
    var inputs: [GradNode?]
    /// Given the gradient of this node's output, accumulates into `inputs[i]?.gradBuffer()`.
    var backwardStep: ((Tensor, [GradNode?]) -> Void)?
    var consumed = false

    init(op: String, shape: [Int], inputs: [GradNode?], backward: @escaping (Tensor, [GradNode?]) -> Void) {
        self.op = op
        self.shape = shape
        self.inputs = inputs
        self.backwardStep = backward
        self.isLeaf = false
    }

    init(leaf: Tensor) {
        op = "leaf"
        shape = leaf.shape
        self.leaf = leaf
        isLeaf = true
        inputs = []
    }

    /// The buffer this node's gradient accumulates into (zero-filled on first use), or nil when
    /// nobody wants it (a leaf that was deallocated).
    func gradBuffer() -> Tensor? {
        if isLeaf {
            guard let leaf else { return nil }
            if let g = leaf.grad { return g }
            let g = Tensor(zeros: shape)
            leaf.grad = g
            return g
        }
        if let pending { return pending }
        let g = Tensor(zeros: shape)
        pending = g
        return g
    }

    /// Adds `gradient` (same shape) to this node's gradient, taking the tensor itself as the buffer
    /// when there is none yet: an op that computed a whole fresh gradient hands it over without a
    /// second allocation and pass. The caller must not use `gradient` afterwards.
    func accumulate(taking gradient: Tensor) {
        precondition(gradient.shape == shape, "gradient shape \(gradient.shape) for a \(op) of shape \(shape)")
        if isLeaf {
            guard let leaf else { return }
            // A discarded buffer is simply replaced, like a missing one.
            if leaf.gradientToOverwrite() == nil, let g = leaf.grad {
                AddKernel.accumulate(g.data, gradient.data, g.count)
            } else {
                leaf.grad = gradient
            }
        } else if let pending {
            AddKernel.accumulate(pending.data, gradient.data, pending.count)
        } else {
            pending = gradient
        }
    }

    /// Adds the result of `product(destination, accumulate)` to this node's gradient. With a live buffer in
    /// place the product accumulates into it; a leaf's discarded buffer (`discardGradientValues`) or a fresh
    /// uninitialised tensor is overwritten (`accumulate` false), which saves zero-filling the buffer and the
    /// product reading the zeros back (oneDNN's sum post-op). Nothing runs when nobody wants the gradient.
    func accumulateProduct(_ product: (UnsafeMutablePointer<Float>, _ accumulate: Bool) -> Void) {
        if isLeaf {
            guard let leaf else { return }
            if let g = leaf.gradientToOverwrite() { product(g.data, false); return }
            if let g = leaf.grad { product(g.data, true); return }
        } else if let pending {
            product(pending.data, true)
            return
        }
        let fresh = Tensor(uninitialized: shape)
        product(fresh.data, false)
        accumulate(taking: fresh)
    }

    func release() {
        pending = nil
        backwardStep = nil
        inputs = []
        consumed = true
    }
}

extension Tensor {
    /// Attaches a backward step to `result` when gradients are enabled and any input takes part in a
    /// graph. `backward` must not capture `result` (use a detached view of it instead) to avoid a cycle.
    @discardableResult
    func recorded(
        _ op: String, inputs: [Tensor], backward: @escaping (_ gradOutput: Tensor, _ inputs: [GradNode?]) -> Void
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.tracksGradient }) else { return self }
        node = GradNode(op: op, shape: shape, inputs: inputs.map { $0.gradTarget }, backward: backward)
        requiresGrad = true
        return self
    }

    /// Whether ops should save activations for backward: gradients enabled and some input tracked.
    static func needsGraph(_ inputs: Tensor...) -> Bool {
        GradMode.isEnabled && inputs.contains(where: { $0.tracksGradient })
    }

    /// Reverse-mode pass from this tensor: accumulates d(self)/d(leaf) into every reachable leaf's
    /// `grad` (adding to what is there, so micro-batches accumulate), then frees the graph's saved
    /// activations. `gradient` seeds the pass; it defaults to 1 and is required unless this tensor
    /// has one element.
    public func backward(gradient: Tensor? = nil) {
        if let gradient { gradient.expectShape(shape, "backward seed") }
        precondition(gradient != nil || count == 1, "backward() without a seed needs a one-element tensor, shape is \(shape)")
        let seed = gradient ?? Tensor(shape: shape, repeating: 1)
        guard let root = node else {
            precondition(requiresGrad, "backward() on a tensor that does not require gradients")
            let g = gradTarget!.gradBuffer()!
            AddKernel.accumulate(g.data, seed.data, count)
            return
        }
        precondition(!root.consumed, "backward() twice through the same graph (its saved activations were freed)")

        // Post-order DFS without recursion (GPT-2 xl graphs are a few thousand nodes deep).
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                if let child = node.inputs[next], !child.isLeaf, visited.insert(ObjectIdentifier(child)).inserted {
                    // Silently skipping would drop gradients; there is no retain_graph.
                    precondition(!child.consumed, "backward() reached a \(child.op) whose graph an earlier backward() already freed; add the losses and call backward() once")
                    stack.append((child, 0))
                }
            } else {
                order.append(node)
            }
        }

        let rootGrad = root.gradBuffer()!
        AddKernel.accumulate(rootGrad.data, seed.data, count)
        for node in order.reversed() {
            if let g = node.pending, let step = node.backwardStep { step(g, node.inputs) }
            node.release()
        }
    }
}
