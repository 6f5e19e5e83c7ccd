/// Layer norm over the last axis: x [..., C], weight [C], bias [C] -> [..., C].
/// Saves x (a view, no copy), mean and rstd.
public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
    let C = x.shape.last ?? 0, N = x.count / max(C, 1)
    weight.expectShape([C], "layerNorm weight")
    bias.expectShape([C], "layerNorm bias")
    let out = Tensor(uninitialized: x.shape)
    let stats = Tensor(uninitialized: [2, N])
    LayerNormKernel.forward(out: out.data, mean: stats.data, rstd: stats.data + N, inp: x.data,
                            weight: weight.data, bias: bias.data, rows: N, cols: C)
    guard Tensor.needsGraph(x, weight, bias) else { return out }
    let sx = x.detached(), sw = weight.detached()
    return out.recorded("layerNorm", inputs: [x, weight, bias]) { g, inputs in
        LayerNormKernel.backward(dinp: inputs[0]?.gradBuffer()?.data, dweight: inputs[1]?.gradBuffer()?.data,
                                 dbias: inputs[2]?.gradBuffer()?.data, dout: g.data, inp: sx.data, weight: sw.data,
                                 mean: stats.data, rstd: stats.data + N, rows: N, cols: C)
    }
}
