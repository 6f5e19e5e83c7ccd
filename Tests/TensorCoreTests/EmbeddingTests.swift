import Testing
@testable import TensorCore

@Suite struct EmbeddingTests {
    @Test func lookupAndScatterAddMatchReference() {
        var r = TestRandom(21)
        let (v, c) = (11, 17)
        let table = r.tensor([v, c], requiresGrad: true)
        let ids: [Int32] = [0, 10, 5, 5, 3, 10, 10, 2, 7]
        let out = embedding(table, ids: ids, shape: [3, 3])
        #expect(out.shape == [3, 3, c])
        for (i, id) in ids.enumerated() {
            #expect(Array(out.toArray()[(i * c)..<((i + 1) * c)]) == Array(table.toArray()[(Int(id) * c)..<((Int(id) + 1) * c)]))
        }
        let g = r.tensor(out.shape)
        out.backward(gradient: g)
        var expected = [Double](repeating: 0, count: v * c)
        for (i, id) in ids.enumerated() { for j in 0..<c { expected[Int(id) * c + j] += Double(g.data[i * c + j]) } }
        #expect(maxRelativeError(table.grad!.toArray(), expected) < 1e-6)
    }

    @Test func tiedTableAccumulatesBothUses() {
        // GPT-2 reads wte twice: token embedding and the output head (x · wteᵀ).
        var r = TestRandom(22)
        let wte = r.tensor([5, 3], requiresGrad: true)
        let x = embedding(wte, ids: [1, 4], shape: [1, 2])
        let logits = matmul(x, wte, transposeB: true)
        crossEntropy(logits, targets: [4, 0] as [Int32]).backward()
        let viaHeadOnly: [Float] = {
            let w2 = Tensor(shape: [5, 3], values: wte.toArray(), requiresGrad: true)
            let x2 = embedding(wte.detached(), ids: [1, 4], shape: [1, 2])
            crossEntropy(matmul(x2, w2, transposeB: true), targets: [4, 0] as [Int32]).backward()
            return w2.grad!.toArray()
        }()
        let g = wte.grad!.toArray()
        // Rows 1 and 4 also get the embedding path's gradient; the others only the head's.
        for row in [0, 2, 3] { for j in 0..<3 { #expect(g[row * 3 + j] == viaHeadOnly[row * 3 + j]) } }
        #expect(g[3] != viaHeadOnly[3])
    }
}
