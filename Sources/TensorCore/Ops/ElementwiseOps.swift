/// Element-wise ops with suffix broadcasting: `b`'s shape must equal `a`'s or a trailing part of it
/// (bias [C] over [B, T, C], positional embedding [T, C] over [B, T, C]). The result has `a`'s shape.

/// How many times b repeats over a, and b's size; traps on any other broadcast (a programming error).
func suffixBroadcast(_ a: [Int], _ b: [Int], _ op: String) -> (rows: Int, cols: Int) {
    precondition(b.count <= a.count && Array(a.suffix(b.count)) == b,
                 "\(op): shape \(b) does not broadcast over \(a) (it must be a trailing part of it)")
    let cols = b.reduce(1, *)
    return (cols == 0 ? 0 : a.reduce(1, *) / cols, cols)
}

/// a + b, b broadcast over a's leading dimensions (residual add, bias add, positional add).
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    let (rows, cols) = suffixBroadcast(a.shape, b.shape, "add")
    let out = Tensor(uninitialized: a.shape)
    AddKernel.forward(out.data, a.data, b.data, rows: rows, cols: cols)
    return out.recorded("add", inputs: [a, b]) { g, inputs in
        if let da = inputs[0]?.gradBuffer() { AddKernel.accumulate(da.data, g.data, g.count) }
        if let db = inputs[1]?.gradBuffer() {
            if rows == 1 { AddKernel.accumulate(db.data, g.data, cols) } else { AddKernel.sumRows(into: db.data, g.data, rows: rows, cols: cols) }
        }
    }
}

/// a * b element-wise, b broadcast over a's leading dimensions.
public func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let (rows, cols) = suffixBroadcast(a.shape, b.shape, "mul")
    let out = Tensor(uninitialized: a.shape)
    MulKernel.forward(out.data, a.data, b.data, rows: rows, cols: cols)
    guard Tensor.needsGraph(a, b) else { return out }
    let savedA = a.detached(), savedB = b.detached()
    return out.recorded("mul", inputs: [a, b]) { g, inputs in
        if let da = inputs[0]?.gradBuffer() { MulKernel.backwardA(da.data, g.data, savedB.data, rows: rows, cols: cols) }
        if let db = inputs[1]?.gradBuffer() { MulKernel.backwardB(db.data, g.data, savedA.data, rows: rows, cols: cols) }
    }
}

/// s · a
public func scale(_ a: Tensor, _ s: Float) -> Tensor {
    let out = Tensor(uninitialized: a.shape)
    ScaleKernel.forward(out.data, a.data, s, a.count)
    return out.recorded("scale", inputs: [a]) { g, inputs in
        if let da = inputs[0]?.gradBuffer() { ScaleKernel.backward(da.data, g.data, s, g.count) }
    }
}

public func + (a: Tensor, b: Tensor) -> Tensor { add(a, b) }
public func * (a: Tensor, b: Tensor) -> Tensor { mul(a, b) }
public func * (a: Tensor, s: Float) -> Tensor { scale(a, s) }
public func * (s: Float, a: Tensor) -> Tensor { scale(a, s) }

/// Σ of all elements, as a one-element tensor of shape [] (summed in Double, in order).
public func sum(_ a: Tensor) -> Tensor {
    var s = 0.0
    for i in 0..<a.count { s += Double(a.data[i]) }
    let out = Tensor(shape: [], values: [Float(s)])
    return out.recorded("sum", inputs: [a]) { g, inputs in
        guard let da = inputs[0]?.gradBuffer() else { return }
        let v = g.data[0]
        Parallel.forRanges(da.count) { r in for i in r { da.data[i] += v } }
    }
}

/// Mean of all elements, shape [].
public func mean(_ a: Tensor) -> Tensor { scale(sum(a), 1 / Float(max(a.count, 1))) }
