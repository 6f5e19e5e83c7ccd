/// Differentiable matrix products. Every product runs through `matmul(...)` (oneDNN) at the
/// precision in `ComputeSettings.precision`, read when the op runs and reused by its backward.
///
/// Shapes:
/// - a [M, K] (stored [K, M] when `transposeA`) · b [K, N] (stored [N, K] when `transposeB`) -> [M, N]
/// - a [..., K] · b 2-D -> [..., N]: a's leading dimensions are rows (no `transposeA`)
/// - a [batch..., M, K] · b [batch..., K, N] with equal leading dimensions -> [batch..., M, N]
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs tensors of rank ≥ 2, got \(a.shape) and \(b.shape)")
    let batched = b.rank > 2
    let batchDims: [Int], m: Int, k: Int
    if batched {
        batchDims = Array(a.shape.dropLast(2))
        precondition(Array(b.shape.dropLast(2)) == batchDims, "matmul: batch dimensions of \(a.shape) and \(b.shape) differ")
        m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
        k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
    } else if a.rank == 2 {
        batchDims = []
        m = transposeA ? a.shape[1] : a.shape[0]
        k = transposeA ? a.shape[0] : a.shape[1]
    } else {
        precondition(!transposeA, "matmul: transposeA needs a 2-D or batched left operand, got \(a.shape)")
        batchDims = []
        k = a.shape[a.rank - 1]
        m = a.count / max(k, 1)
    }
    let bk = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
    let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    precondition(bk == k, "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let batch = batchDims.reduce(1, *)
    let outShape = batched || a.rank == 2 ? batchDims + [m, n] : Array(a.shape.dropLast()) + [n]
    // The product writes every element unless K is 0 (then the result is zeros).
    let out = k > 0 ? Tensor(uninitialized: outShape) : Tensor(zeros: outShape)
    let precision = ComputeSettings.precision
    let sa = SavedOperand(a, precision), sb = SavedOperand(b, precision)
    matmul(sa.operand, sb.operand, out.data, m: m, n: n, k: k, transA: transposeA, transB: transposeB,
           batch: batch, precision: precision)
    guard Tensor.needsGraph(a, b) else { return out }
    // Keep only what the wanted gradients need: B for dA, A for dB.
    let keptA = b.tracksGradient ? sa : nil, keptB = a.tracksGradient ? sb : nil
    return out.recorded("matmul", inputs: [a, b]) { g, inputs in
        let sg = SavedOperand(g, precision)
        if let keptB {
            inputs[0]?.accumulateProduct { da, accumulate in
                if transposeA { // dA [K, M] = op(B) · dCᵀ
                    matmul(keptB.operand, sg.operand, da, m: k, n: m, k: n, transA: transposeB, transB: true,
                           batch: batch, accumulate: accumulate, precision: precision)
                } else {        // dA [M, K] = dC · op(B)ᵀ
                    matmul(sg.operand, keptB.operand, da, m: m, n: k, k: n, transB: !transposeB,
                           batch: batch, accumulate: accumulate, precision: precision)
                }
            }
        }
        if let keptA {
            inputs[1]?.accumulateProduct { db, accumulate in
                if transposeB { // dB [N, K] = dCᵀ · op(A)
                    matmul(sg.operand, keptA.operand, db, m: n, n: k, k: m, transA: true, transB: transposeA,
                           batch: batch, accumulate: accumulate, precision: precision)
                } else {        // dB [K, N] = op(A)ᵀ · dC
                    matmul(keptA.operand, sg.operand, db, m: k, n: n, k: m, transA: !transposeA,
                           batch: batch, accumulate: accumulate, precision: precision)
                }
            }
        }
    }
}

/// A product's input as its backward pass reads it: the fp32 tensor, or in bf16 its rounded copy, made once
/// and shared by the forward product and the backward ones (as PyTorch's autocast saves its casts) — which
/// also halves the memory an activation kept for backward takes.
struct SavedOperand {
    private let tensor: Tensor?
    private let copy: BF16Copy?

    init(_ t: Tensor, _ precision: Precision) {
        if precision == .bf16 {
            (tensor, copy) = (nil, BF16Copy(t.data, count: t.count))
        } else {
            (tensor, copy) = (t.detached(), nil)
        }
    }

    var operand: MatmulOperand { copy?.operand ?? .fp32(tensor!.data) }
}

/// HF Conv1D / GPT-2 linear layer: x [..., in] · weight [in, out] + bias [out] -> [..., out].
/// The bias is written first and the product accumulated onto it, so it costs no extra pass.
/// Frozen operands (requiresGrad false, e.g. base weights under LoRA) get no gradient computed.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    linearLayer(x, weight: weight, bias: bias, geluInput: false)
}

/// `linear(gelu(u), weight:, bias:)`, the GPT-2 MLP's output projection, keeping only u [..., in] for
/// backward: dW recomputes gelu(u) instead of saving it beside u, which takes [tokens, 4C] per layer off a
/// training step's activations (a fifth of them). Same values and gradients as the unfused ops, bit for bit.
public func geluLinear(_ u: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    linearLayer(u, weight: weight, bias: bias, geluInput: true)
}

/// y [rows, out] = op(x) [rows, in] · W [in, out] + b, where op is the identity or GELU (`geluInput`).
private func linearLayer(_ x: Tensor, weight: Tensor, bias: Tensor?, geluInput: Bool) -> Tensor {
    precondition(weight.rank == 2, "linear: weight must be [in, out], got \(weight.shape)")
    let inF = weight.shape[0], outF = weight.shape[1]
    precondition(x.shape.last == inF, "linear: input \(x.shape) does not end in \(inF) features (weight \(weight.shape))")
    if let bias { bias.expectShape([outF], "linear bias") }
    let rows = x.count / max(inF, 1)
    let outShape = Array(x.shape.dropLast()) + [outF]
    let out = inF > 0 || bias != nil ? Tensor(uninitialized: outShape) : Tensor(zeros: outShape)
    if let bias {
        for r in 0..<rows { (out.data + r * outF).update(from: bias.data, count: outF) }
    }
    func activated(_ u: Tensor) -> Tensor {
        let a = Tensor(uninitialized: u.shape)
        GELUKernel.forward(out: a.data, inp: u.data, count: u.count)
        return a
    }
    let precision = ComputeSettings.precision
    let sx = SavedOperand(geluInput ? activated(x) : x, precision), sw = SavedOperand(weight, precision)
    matmul(sx.operand, sw.operand, out.data, m: rows, n: outF, k: inF, accumulate: bias != nil, precision: precision)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    guard GradMode.isEnabled, inputs.contains(where: { $0.tracksGradient }) else { return out }
    // Keep only what the wanted gradients need: op(x) for dW, W for dx (a frozen W under LoRA drops x).
    // With GELU, u stands in for gelu(u) (recomputed for dW) and is needed for du as well.
    let keptW = x.tracksGradient ? sw : nil
    let keptX = weight.tracksGradient && !geluInput ? sx : nil
    let keptU = geluInput ? x.detached() : nil
    return out.recorded(geluInput ? "gelu_linear" : "linear", inputs: inputs) { g, inputs in
        let sg = SavedOperand(g, precision)
        if let keptW, let dx = inputs[0] {
            if let keptU {
                // da [rows, in] = dy · Wᵀ, then du += da · gelu'(u)
                let da = Tensor(uninitialized: keptU.shape)
                matmul(sg.operand, keptW.operand, da.data, m: rows, n: inF, k: outF, transB: true, precision: precision)
                if let du = dx.gradBuffer() { GELUKernel.backward(dinp: du.data, inp: keptU.data, dout: da.data, count: da.count) }
            } else {
                // dx [rows, in] += dy [rows, out] · Wᵀ
                dx.accumulateProduct { dx, accumulate in
                    matmul(sg.operand, keptW.operand, dx, m: rows, n: inF, k: outF, transB: true, accumulate: accumulate, precision: precision)
                }
            }
        }
        // dW [in, out] += op(x)ᵀ · dy
        if let dwNode = inputs[1], let a = keptX ?? keptU.map({ SavedOperand(activated($0), precision) }) {
            dwNode.accumulateProduct { dw, accumulate in
                matmul(a.operand, sg.operand, dw, m: inF, n: outF, k: rows, transA: true, accumulate: accumulate, precision: precision)
            }
        }
        // db [out] += Σ_rows dy
        if inputs.count > 2, let db = inputs[2]?.gradBuffer() {
            AddKernel.sumRows(into: db.data, g.data, rows: rows, cols: outF)
        }
    }
}
