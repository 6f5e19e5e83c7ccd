/// Shape ops. `reshape` is a view (no copy); `transpose` and `slice` copy, since every kernel
/// expects contiguous row-major input.

/// The same storage under another shape (one dimension may be -1 and is inferred).
public func reshape(_ a: Tensor, _ shape: [Int]) -> Tensor {
    var shape = shape
    if let i = shape.firstIndex(of: -1) {
        let known = shape.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
        precondition(known > 0 && a.count % known == 0, "reshape: cannot infer -1 in \(shape) for \(a.count) elements")
        shape[i] = a.count / known
    }
    let out = Tensor(viewing: a, as: shape)
    return out.recorded("reshape", inputs: [a]) { g, inputs in
        if let da = inputs[0]?.gradBuffer() { AddKernel.accumulate(da.data, g.data, g.count) }
    }
}

/// Strides of a contiguous row-major shape.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    for i in stride(from: shape.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
    return strides
}

/// Copies `src` (shape `shape`) into `dst` with two axes swapped; `accumulate` adds instead.
/// The innermost contiguous run is copied as a block when the last axis stays in place.
func transposeCopy(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, shape: [Int],
                   _ d0: Int, _ d1: Int, accumulate: Bool) {
    var outShape = shape
    outShape.swapAt(d0, d1)
    var srcStrides = rowMajorStrides(shape)
    srcStrides.swapAt(d0, d1) // stride in src of each output axis
    let total = shape.reduce(1, *)
    guard total > 0 else { return }
    let rank = shape.count
    var index = [Int](repeating: 0, count: rank)
    for o in 0..<total {
        var s = 0
        for i in 0..<rank { s += index[i] * srcStrides[i] }
        if accumulate { dst[o] += src[s] } else { dst[o] = src[s] }
        var i = rank - 1
        while i >= 0 {
            index[i] += 1
            if index[i] < outShape[i] { break }
            index[i] = 0
            i -= 1
        }
    }
}

/// Swaps two axes (copy). Used e.g. for [B, T, H, hs] <-> [B, H, T, hs] outside the fused attention.
public func transpose(_ a: Tensor, _ d0: Int, _ d1: Int) -> Tensor {
    precondition(d0 >= 0 && d0 < a.rank && d1 >= 0 && d1 < a.rank, "transpose: axes \(d0), \(d1) out of range for \(a.shape)")
    var outShape = a.shape
    outShape.swapAt(d0, d1)
    let out = Tensor(uninitialized: outShape)
    transposeCopy(a.data, out.data, shape: a.shape, d0, d1, accumulate: false)
    return out.recorded("transpose", inputs: [a]) { g, inputs in
        if let da = inputs[0]?.gradBuffer() { transposeCopy(g.data, da.data, shape: outShape, d0, d1, accumulate: true) }
    }
}

/// The sub-range `range` of axis `axis` (copy); e.g. the last position's logits for generation,
/// or the first T rows of the positional table.
public func slice(_ a: Tensor, axis: Int, _ range: Range<Int>) -> Tensor {
    precondition(axis >= 0 && axis < a.rank, "slice: axis \(axis) out of range for \(a.shape)")
    precondition(range.lowerBound >= 0 && range.upperBound <= a.shape[axis], "slice: \(range) outside 0..<\(a.shape[axis]) of axis \(axis)")
    var outShape = a.shape
    outShape[axis] = range.count
    let outer = a.shape[..<axis].reduce(1, *), inner = a.shape[(axis + 1)...].reduce(1, *)
    let srcRun = a.shape[axis] * inner, dstRun = range.count * inner
    let out = Tensor(uninitialized: outShape)
    for o in 0..<outer {
        (out.data + o * dstRun).update(from: a.data + o * srcRun + range.lowerBound * inner, count: dstRun)
    }
    return out.recorded("slice", inputs: [a]) { g, inputs in
        guard let da = inputs[0]?.gradBuffer() else { return }
        for o in 0..<outer { AddKernel.accumulate(da.data + o * srcRun + range.lowerBound * inner, g.data + o * dstRun, dstRun) }
    }
}
