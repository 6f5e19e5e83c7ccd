@testable import TensorCore

/// A one-block GPT-2 built from the public ops exactly as the GPT module will: Conv1D weights
/// [in, out], tied head (x · wteᵀ), dropout where GPT-2 has it, a padded batch with -100 targets.
final class TinyGPT {
    let (vocab, dim, heads, batch, tokens, context) = (13, 8, 2, 2, 5, 7)
    let wte, wpe, ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fc2W, fc2B, lnfw, lnfb: Tensor
    let ids: [Int32] = [3, 7, 1, 12, 12, 5, 2, 9, 0, 4]
    let targets: [Int32] = [7, 1, 12, -100, -100, 2, 9, 0, 4, 6]

    init(seed: UInt64 = 1234) {
        var r = TestRandom(seed)
        let (v, c) = (vocab, dim)
        wte = r.tensor([v, c], scale: 0.2, requiresGrad: true); wpe = r.tensor([context, c], scale: 0.2, requiresGrad: true)
        ln1w = r.tensor([c], requiresGrad: true); ln1b = r.tensor([c], requiresGrad: true)
        attnW = r.tensor([c, 3 * c], scale: 0.3, requiresGrad: true); attnB = r.tensor([3 * c], requiresGrad: true)
        projW = r.tensor([c, c], scale: 0.3, requiresGrad: true); projB = r.tensor([c], requiresGrad: true)
        ln2w = r.tensor([c], requiresGrad: true); ln2b = r.tensor([c], requiresGrad: true)
        fcW = r.tensor([c, 4 * c], scale: 0.3, requiresGrad: true); fcB = r.tensor([4 * c], requiresGrad: true)
        fc2W = r.tensor([4 * c, c], scale: 0.3, requiresGrad: true); fc2B = r.tensor([c], requiresGrad: true)
        lnfw = r.tensor([c], requiresGrad: true); lnfb = r.tensor([c], requiresGrad: true)
    }

    var parameters: [Tensor] {
        [wte, wpe, ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fc2W, fc2B, lnfw, lnfb]
    }

    func loss(dropout drop: Float, rng: RNG) -> Tensor {
        var x = embedding(wte, ids: ids, shape: [batch, tokens]) + embedding(wpe, ids: Array(0..<Int32(tokens)))
        x = dropout(x, probability: drop, rng: rng.fork(0))
        let qkv = linear(layerNorm(x, weight: ln1w, bias: ln1b), weight: attnW, bias: attnB)
        let a = linear(causalSelfAttention(qkv, heads: heads, dropout: drop, rng: rng.fork(3)), weight: projW, bias: projB)
        x = x + dropout(a, probability: drop, rng: rng.fork(1))
        let m = linear(gelu(linear(layerNorm(x, weight: ln2w, bias: ln2b), weight: fcW, bias: fcB)), weight: fc2W, bias: fc2B)
        x = x + dropout(m, probability: drop, rng: rng.fork(2))
        let logits = matmul(layerNorm(x, weight: lnfw, bias: lnfb), wte, transposeB: true)
        return crossEntropy(logits, targets: targets)
    }
}
