/// GELU (tanh approximation), element-wise. Saves its input only.
public func gelu(_ x: Tensor) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    GELUKernel.forward(out: out.data, inp: x.data, count: x.count)
    guard Tensor.needsGraph(x) else { return out }
    let sx = x.detached()
    return out.recorded("gelu", inputs: [x]) { g, inputs in
        if let dx = inputs[0]?.gradBuffer() { GELUKernel.backward(dinp: dx.data, inp: sx.data, dout: g.data, count: g.count) }
    }
}

/// Softmax over the last axis. Saves its output.
public func softmax(_ x: Tensor) -> Tensor {
    let C = x.shape.last ?? 0, N = x.count / max(C, 1)
    let out = Tensor(uninitialized: x.shape)
    SoftmaxKernel.forward(out: out.data, inp: x.data, rows: N, cols: C)
    guard Tensor.needsGraph(x) else { return out }
    let sy = out.detached()
    return out.recorded("softmax", inputs: [x]) { g, inputs in
        if let dx = inputs[0]?.gradBuffer() { SoftmaxKernel.backward(dinp: dx.data, out: sy.data, dout: g.data, rows: N, cols: C) }
    }
}

/// Inverted dropout with probability `p` of zeroing each element, mask drawn from `rng` (pass a
/// fresh `fork` per call site and step). Returns `x` itself when p is 0. Saves nothing: backward
/// regenerates the mask from the RNG state.
public func dropout(_ x: Tensor, probability p: Float, rng: RNG) -> Tensor {
    precondition(p >= 0 && p < 1, "dropout probability \(p) must be in [0, 1)")
    if p == 0 { return x }
    let out = Tensor(uninitialized: x.shape)
    DropoutKernel.forward(out: out.data, inp: x.data, count: x.count, probability: p, rng: rng)
    return out.recorded("dropout", inputs: [x]) { g, inputs in
        if let dx = inputs[0]?.gradBuffer() {
            DropoutKernel.backward(dinp: dx.data, dout: g.data, count: g.count, probability: p, rng: rng)
        }
    }
}
