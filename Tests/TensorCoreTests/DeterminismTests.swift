import Testing
@testable import TensorCore

/// Same seed -> bit-identical forward and backward, with dropout, for any kernel thread count.
@Suite struct DeterminismTests {
    /// A one-block GPT-2 (Conv1D weights, tied head, dropout everywhere GPT-2 has it) on a padded batch;
    /// returns the loss and every parameter's gradient.
    static func step(seed: UInt64) -> [[Float]] {
        let (v, c, h, b, t, ctx) = (13, 8, 2, 2, 5, 7)
        var r = TestRandom(1234)
        let p = (
            wte: r.tensor([v, c], scale: 0.2, requiresGrad: true), wpe: r.tensor([ctx, c], scale: 0.2, requiresGrad: true),
            ln1w: r.tensor([c], requiresGrad: true), ln1b: r.tensor([c], requiresGrad: true),
            attnW: r.tensor([c, 3 * c], scale: 0.3, requiresGrad: true), attnB: r.tensor([3 * c], requiresGrad: true),
            projW: r.tensor([c, c], scale: 0.3, requiresGrad: true), projB: r.tensor([c], requiresGrad: true),
            ln2w: r.tensor([c], requiresGrad: true), ln2b: r.tensor([c], requiresGrad: true),
            fcW: r.tensor([c, 4 * c], scale: 0.3, requiresGrad: true), fcB: r.tensor([4 * c], requiresGrad: true),
            fc2W: r.tensor([4 * c, c], scale: 0.3, requiresGrad: true), fc2B: r.tensor([c], requiresGrad: true),
            lnfw: r.tensor([c], requiresGrad: true), lnfb: r.tensor([c], requiresGrad: true))
        let ids: [Int32] = [3, 7, 1, 12, 12, 5, 2, 9, 0, 4]
        let targets: [Int32] = [7, 1, 12, -100, -100, 2, 9, 0, 4, 6]
        let rng = RNG(seed: seed)
        let drop: Float = 0.1
        var x = embedding(p.wte, ids: ids, shape: [b, t]) + embedding(p.wpe, ids: Array(0..<Int32(t)))
        x = dropout(x, probability: drop, rng: rng.fork(0))
        let qkv = linear(layerNorm(x, weight: p.ln1w, bias: p.ln1b), weight: p.attnW, bias: p.attnB)
        let a = linear(causalSelfAttention(qkv, heads: h), weight: p.projW, bias: p.projB)
        x = x + dropout(a, probability: drop, rng: rng.fork(1))
        let m = linear(gelu(linear(layerNorm(x, weight: p.ln2w, bias: p.ln2b), weight: p.fcW, bias: p.fcB)),
                       weight: p.fc2W, bias: p.fc2B)
        x = x + dropout(m, probability: drop, rng: rng.fork(2))
        let logits = matmul(layerNorm(x, weight: p.lnfw, bias: p.lnfb), p.wte, transposeB: true)
        let loss = crossEntropy(logits, targets: targets)
        loss.backward()
        let params = [p.wte, p.wpe, p.ln1w, p.ln1b, p.attnW, p.attnB, p.projW, p.projB, p.ln2w, p.ln2b,
                      p.fcW, p.fcB, p.fc2W, p.fc2B, p.lnfw, p.lnfb]
        return [loss.toArray()] + params.map { $0.grad!.toArray() }
    }

    @Test func sameSeedIsBitIdentical() {
        let a = Self.step(seed: 42), b = Self.step(seed: 42)
        #expect(a == b)
        #expect(a[0][0].isFinite)
        #expect(Self.step(seed: 43)[0] != a[0])
    }

    @Test func threadCountDoesNotChangeBits() {
        let one = Parallel.with(threads: 1) { Self.step(seed: 42) }
        let two = Parallel.with(threads: 2, splitSmallWork: true) { Self.step(seed: 42) }
        let three = Parallel.with(threads: 3, splitSmallWork: true) { Self.step(seed: 42) }
        #expect(one == two)
        #expect(one == three)
    }

    @Test func dropoutMaskIsSeededAndThreadIndependent() {
        var r = TestRandom(3)
        let x = r.tensor([3 * DropoutKernel.chunk + 17])
        let rng = RNG(seed: 77)
        let a = dropout(x, probability: 0.25, rng: rng).toArray()
        let b = Parallel.with(threads: 2, splitSmallWork: true) { dropout(x, probability: 0.25, rng: rng).toArray() }
        #expect(a == b)
        let dropped = a.filter { $0 == 0 }.count
        #expect(abs(Double(dropped) / Double(a.count) - 0.25) < 0.02)
        #expect(dropout(x, probability: 0.25, rng: RNG(seed: 78)).toArray() != a)
    }
}
