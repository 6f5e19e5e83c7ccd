import CDNNL
import Foundation

/// A weight matrix copied into the layout `SkinnyMatmulKernel` streams — [N, K], one output per row — in fp32
/// or bf16 (rounded to nearest even). A copy, not a view: later changes to the source do not reach it.
public final class DecodeMatrix: @unchecked Sendable {
    /// Outputs (rows of the stored matrix) and inputs (its columns).
    public let outputs: Int, inputs: Int
    public let precision: Precision
    private let fp32: UnsafeMutablePointer<Float>?
    private let bf16: UnsafeMutablePointer<BF16Bits>?

    /// From a [K, N] matrix (GPT-2's Conv1D weight: inputs × outputs), transposed while copying.
    public convenience init(transposing w: Tensor, precision: Precision) {
        precondition(w.rank == 2, "DecodeMatrix: expected a 2-D weight, got \(w.shape)")
        // Element (n, k) of the copy is w[k, n]: the source read as [N, K] with strides (1, N).
        self.init(w, outputs: w.shape[1], inputs: w.shape[0], sourceStrides: [1, w.shape[1]], precision: precision)
    }

    /// From an [N, K] matrix (the tied head: the token embedding, vocabulary × width), copied as is.
    public convenience init(rows w: Tensor, precision: Precision) {
        precondition(w.rank == 2, "DecodeMatrix: expected a 2-D weight, got \(w.shape)")
        self.init(w, outputs: w.shape[0], inputs: w.shape[1], sourceStrides: [w.shape[1], 1], precision: precision)
    }

    /// Copies with one oneDNN reorder (threaded; transposes and rounds to bf16 in the same pass, with the
    /// rounding of `BFloat16.convert`).
    private init(_ w: Tensor, outputs: Int, inputs: Int, sourceStrides: [Int], precision: Precision) {
        self.outputs = outputs
        self.inputs = inputs
        self.precision = precision
        let count = max(outputs * inputs, 1)
        let destination: UnsafeMutableRawPointer
        switch precision {
        case .fp32:
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            (fp32, bf16, destination) = (p, nil, UnsafeMutableRawPointer(p))
        case .bf16:
            let p = UnsafeMutablePointer<BF16Bits>.allocate(capacity: count)
            (fp32, bf16, destination) = (nil, p, UnsafeMutableRawPointer(p))
        }
        guard outputs * inputs > 0 else { return }
        let reorder = DNNLReorder(
            from: DNNL.memoryDesc(dims: [outputs, inputs], strides: sourceStrides, type: dnnl_f32),
            to: DNNL.memoryDesc(dims: [outputs, inputs], strides: [inputs, 1], type: precision == .bf16 ? dnnl_bf16 : dnnl_f32))
        DNNL.withStream { stream in
            reorder.execute(from: UnsafeMutableRawPointer(w.data), to: destination, stream: stream)
            DNNL.check(dnnl_stream_wait(stream), "waiting for a decode-matrix copy")
        }
    }

    deinit {
        fp32?.deallocate()
        bf16?.deallocate()
    }

    /// Bytes the copy occupies.
    public var bytes: Int { outputs * inputs * (precision == .fp32 ? 4 : 2) }

    /// y [..., N] = x [..., K] · Wᵀ + bias [N], without gradients (generation only): `threads` workers
    /// (default: as many as oneDNN uses, since a decode step has no other work running beside it).
    public func apply(_ x: Tensor, bias: Tensor? = nil, threads: Int = DNNLThreading.threadCount) -> Tensor {
        precondition(x.shape.last == inputs, "DecodeMatrix: input \(x.shape) does not end in \(inputs) features")
        precondition(!GradMode.isEnabled || !x.tracksGradient, "DecodeMatrix.apply computes no gradients; call it inside withoutGradients")
        if let bias { bias.expectShape([outputs], "decode bias") }
        let rows = x.count / max(inputs, 1)
        let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [outputs])
        if let fp32 {
            SkinnyMatmulKernel.forward(out.data, x.data, fp32, bias: bias?.data, m: rows, n: outputs, k: inputs, threads: threads)
        } else if let bf16 {
            SkinnyMatmulKernel.forward(out.data, x.data, bf16, bias: bias?.data, m: rows, n: outputs, k: inputs, threads: threads)
        }
        return out
    }
}
