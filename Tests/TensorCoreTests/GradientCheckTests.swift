import Foundation
import Testing
@testable import TensorCore

/// Every differentiable op's gradient against finite differences of a Double reference.
@Suite struct GradientCheckTests {
    @Test func addSameShapeAndBroadcast() {
        var r = TestRandom(1)
        checkGradients([r.tensor([3, 5], requiresGrad: true), r.tensor([3, 5], requiresGrad: true)]) { add($0[0], $0[1]) }
            reference: { x in zip(x[0], x[1]).map { $0 + $1 } }
        // Bias over rows and positional embedding over the batch.
        checkGradients([r.tensor([2, 3, 5], requiresGrad: true), r.tensor([5], requiresGrad: true)]) { $0[0] + $0[1] }
            reference: { x in x[0].enumerated().map { $0.element + x[1][$0.offset % 5] } }
        checkGradients([r.tensor([2, 3, 5], requiresGrad: true), r.tensor([3, 5], requiresGrad: true)]) { $0[0] + $0[1] }
            reference: { x in x[0].enumerated().map { $0.element + x[1][$0.offset % 15] } }
    }

    @Test func mulScaleSumMean() {
        var r = TestRandom(2)
        checkGradients([r.tensor([4, 3], requiresGrad: true), r.tensor([4, 3], requiresGrad: true)]) { $0[0] * $0[1] }
            reference: { x in zip(x[0], x[1]).map { $0 * $1 } }
        checkGradients([r.tensor([2, 2, 3], requiresGrad: true), r.tensor([3], requiresGrad: true)]) { mul($0[0], $0[1]) }
            reference: { x in x[0].enumerated().map { $0.element * x[1][$0.offset % 3] } }
        checkGradients([r.tensor([7], requiresGrad: true)]) { 0.37 * $0[0] } reference: { x in x[0].map { 0.37 * $0 } }
        checkGradients([r.tensor([2, 3], requiresGrad: true)]) { sum($0[0]) } reference: { x in [x[0].reduce(0, +)] }
        checkGradients([r.tensor([2, 3], requiresGrad: true)]) { mean($0[0]) } reference: { x in [x[0].reduce(0, +) / 6] }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul2D(transA: Bool, transB: Bool) {
        var r = TestRandom(3)
        let (m, n, k) = (3, 5, 4)
        let a = r.tensor(transA ? [k, m] : [m, k], requiresGrad: true)
        let b = r.tensor(transB ? [n, k] : [k, n], requiresGrad: true)
        checkGradients([a, b]) { matmul($0[0], $0[1], transposeA: transA, transposeB: transB) }
            reference: { x in doubleMatmul(x[0], x[1], m: m, n: n, k: k, transA: transA, transB: transB) }
    }

    @Test func matmulBatchedAndRows() {
        var r = TestRandom(4)
        // Attention-style batched products, with a transposed right operand (q·kᵀ).
        checkGradients([r.tensor([2, 3, 3, 4], requiresGrad: true), r.tensor([2, 3, 5, 4], requiresGrad: true)]) {
            matmul($0[0], $0[1], transposeB: true)
        } reference: { x in doubleMatmul(x[0], x[1], m: 3, n: 5, k: 4, transB: true, batch: 6) }
        checkGradients([r.tensor([2, 4, 3], requiresGrad: true), r.tensor([2, 4, 5], requiresGrad: true)]) {
            matmul($0[0], $0[1], transposeA: true)
        } reference: { x in doubleMatmul(x[0], x[1], m: 3, n: 5, k: 4, transA: true, batch: 2) }
        // Tied output head: x [B, T, C] · wteᵀ with wte [V, C].
        checkGradients([r.tensor([2, 3, 4], requiresGrad: true), r.tensor([7, 4], requiresGrad: true)]) {
            matmul($0[0], $0[1], transposeB: true)
        } reference: { x in doubleMatmul(x[0], x[1], m: 6, n: 7, k: 4, transB: true) }
    }

    @Test func geluLinearKeepsOnlyItsInput() {
        var r = TestRandom(15)
        let u = r.tensor([2, 3, 4], scale: 2, requiresGrad: true), w = r.tensor([4, 6], requiresGrad: true)
        let b = r.tensor([6], requiresGrad: true)
        checkGradients([u, w, b]) { geluLinear($0[0], weight: $0[1], bias: $0[2]) } reference: { v in
            doubleMatmul(GELUReference.forward(v[0]), v[1], m: 6, n: 6, k: 4).enumerated().map { $0.element + v[2][$0.offset % 6] }
        }
    }

    @Test func linearConv1DLayout() {
        var r = TestRandom(5)
        let x = r.tensor([2, 3, 4], requiresGrad: true), w = r.tensor([4, 6], requiresGrad: true)
        let b = r.tensor([6], requiresGrad: true)
        checkGradients([x, w, b]) { linear($0[0], weight: $0[1], bias: $0[2]) } reference: { v in
            doubleMatmul(v[0], v[1], m: 6, n: 6, k: 4).enumerated().map { $0.element + v[2][$0.offset % 6] }
        }
        checkGradients([r.tensor([5, 4], requiresGrad: true), r.tensor([4, 3], requiresGrad: true)]) {
            linear($0[0], weight: $0[1])
        } reference: { v in doubleMatmul(v[0], v[1], m: 5, n: 3, k: 4) }
    }

    @Test func frozenWeightGetsNoGradient() {
        var r = TestRandom(6)
        let x = r.tensor([3, 4], requiresGrad: true), w = r.tensor([4, 2])
        linear(x, weight: w).backward(gradient: Tensor(shape: [3, 2], repeating: 1))
        #expect(w.grad == nil)
        #expect(x.grad != nil)
    }

    @Test func reshapeTransposeSlice() {
        var r = TestRandom(7)
        checkGradients([r.tensor([2, 6], requiresGrad: true)]) { reshape($0[0], [3, -1]) * 2 } reference: { x in x[0].map { 2 * $0 } }
        checkGradients([r.tensor([2, 3, 4], requiresGrad: true)]) { transpose($0[0], 0, 2) } reference: { x in
            var out = [Double](repeating: 0, count: 24)
            for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { out[(k * 3 + j) * 2 + i] = x[0][(i * 3 + j) * 4 + k] } } }
            return out
        }
        checkGradients([r.tensor([2, 5, 3], requiresGrad: true)]) { slice($0[0], axis: 1, 1..<4) } reference: { x in
            var out: [Double] = []
            for i in 0..<2 { for j in 1..<4 { for k in 0..<3 { out.append(x[0][(i * 5 + j) * 3 + k]) } } }
            return out
        }
    }

    @Test func layerNorm() {
        var r = TestRandom(8)
        let (n, c) = (3, 19)
        let weight = Tensor(shape: [c], values: r.values(c, scale: 0.5).map { 1 + $0 }, requiresGrad: true)
        checkGradients([r.tensor([n, c], scale: 2, requiresGrad: true), weight, r.tensor([c], requiresGrad: true)]) {
            TensorCore.layerNorm($0[0], weight: $0[1], bias: $0[2])
        } reference: { x in LayerNormReference.forward(x[0], weight: x[1], bias: x[2], rows: n, cols: c) }
    }

    @Test func geluAndSoftmax() {
        var r = TestRandom(9)
        checkGradients([r.tensor([37], scale: 2, requiresGrad: true)]) { gelu($0[0]) } reference: { GELUReference.forward($0[0]) }
        checkGradients([r.tensor([3, 11], scale: 2, requiresGrad: true)]) { softmax($0[0]) } reference: {
            SoftmaxReference.forward($0[0], rows: 3, cols: 11)
        }
    }

    @Test func embeddingScatterAddsRepeatedIds() {
        var r = TestRandom(10)
        let ids: [Int32] = [3, 0, 3, 4, 3, 1]
        checkGradients([r.tensor([5, 4], requiresGrad: true)]) { embedding($0[0], ids: ids, shape: [2, 3]) } reference: { x in
            ids.flatMap { id in (0..<4).map { x[0][Int(id) * 4 + $0] } }
        }
    }

    @Test func causalSelfAttention() {
        var r = TestRandom(11)
        let (b, t, c, h) = (2, 5, 6, 2)
        checkGradients([r.tensor([b, t, 3 * c], requiresGrad: true)]) { TensorCore.causalSelfAttention($0[0], heads: h) } reference: {
            AttentionReference.forward($0[0], B: b, T: t, C: c, heads: h)
        }
    }

    @Test func causalSelfAttentionWithDropout() {
        var r = TestRandom(15)
        let (b, t, c, h) = (2, 6, 6, 3)
        let rng = RNG(seed: 8).fork(1)
        let mask = doubles(withoutGradients {
            TensorCore.dropout(Tensor(shape: [b * h * t * t], repeating: 1), probability: 0.2, rng: rng)
        })
        #expect(mask.contains(0))
        checkGradients([r.tensor([b, t, 3 * c], requiresGrad: true)]) {
            TensorCore.causalSelfAttention($0[0], heads: h, dropout: 0.2, rng: rng)
        } reference: { AttentionReference.forward($0[0], B: b, T: t, C: c, heads: h, weightScale: mask) }
    }

    @Test func crossEntropyWithIgnoredTargets() {
        var r = TestRandom(12)
        let targets: [Int32] = [2, -100, 0, 6, -100]
        checkGradients([r.tensor([5, 7], scale: 2, requiresGrad: true)]) { crossEntropy($0[0], targets: targets) } reference: {
            [CrossEntropyReference.forward($0[0], targets: targets, rows: 5, vocab: 7)]
        }
    }

    @Test func dropout() {
        var r = TestRandom(13)
        let rng = RNG(seed: 5).fork(3)
        // The mask is what dropout does to ones: 0 or 1/(1-p).
        let mask = doubles(withoutGradients { TensorCore.dropout(Tensor(shape: [40], repeating: 1), probability: 0.3, rng: rng) })
        #expect(mask.contains(0) && mask.contains { abs($0 - 1 / 0.7) < 1e-6 })
        checkGradients([r.tensor([40], requiresGrad: true)]) { TensorCore.dropout($0[0], probability: 0.3, rng: rng) } reference: { x in
            zip(x[0], mask).map { $0 * $1 }
        }
    }

    @Test func composedBlockMatchesComposedReference() {
        // A chain through several ops, so gradients pass through more than one backward step.
        var r = TestRandom(14)
        let x = r.tensor([2, 3, 4], requiresGrad: true)
        let w = r.tensor([4, 4], scale: 0.5, requiresGrad: true)
        checkGradients([x, w]) { v in gelu(linear(v[0], weight: v[1])) + v[0] } reference: { v in
            zip(GELUReference.forward(doubleMatmul(v[0], v[1], m: 6, n: 4, k: 4)), v[0]).map { $0 + $1 }
        }
    }
}
