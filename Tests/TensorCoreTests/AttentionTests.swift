import Testing
@testable import TensorCore

@Suite struct AttentionTests {
    @Test(arguments: [(1, 1, 4, 1), (2, 7, 12, 3), (3, 9, 15, 5), (1, 17, 8, 2)])
    func forwardMatchesReference(b: Int, t: Int, c: Int, h: Int) {
        var r = TestRandom(UInt64(b * 1000 + t * 10 + h))
        let qkv = r.tensor([b, t, 3 * c], scale: 2)
        let y = causalSelfAttention(qkv, heads: h)
        #expect(y.shape == [b, t, c])
        #expect(maxRelativeError(y.toArray(), AttentionReference.forward(doubles(qkv), B: b, T: t, C: c, heads: h)) < 1e-5)
    }

    @Test func futurePositionsDoNotInfluenceThePast() {
        var r = TestRandom(5)
        let (t, c) = (6, 8)
        let a = r.tensor([1, t, 3 * c])
        let b = Tensor(shape: a.shape, values: a.toArray())
        for j in (4 * 3 * c)..<(t * 3 * c) { b.data[j] += 3 } // change positions 4 and 5 only
        let ya = causalSelfAttention(a, heads: 2).toArray(), yb = causalSelfAttention(b, heads: 2).toArray()
        #expect(Array(ya[0..<(4 * c)]) == Array(yb[0..<(4 * c)]))
        #expect(Array(ya[(4 * c)...]) != Array(yb[(4 * c)...]))
    }

    @Test func kvCacheIncrementalEqualsFullCausalForward() {
        var r = TestRandom(6)
        let (b, t, c, h, prefix) = (2, 9, 12, 3, 4)
        let qkv = r.tensor([b, t, 3 * c])
        let full = causalSelfAttention(qkv, heads: h).toArray()
        let keys = Tensor(zeros: [b, h, 16, c / h]), values = Tensor(zeros: [b, h, 16, c / h])
        var got = [Float](repeating: 0, count: b * t * c)
        var past = 0
        for chunk in [0..<prefix] + (prefix..<t).map({ $0..<($0 + 1) }) {
            let y = cachedCausalSelfAttention(slice(qkv, axis: 1, chunk), heads: h, keys: keys, values: values, past: past)
            for bi in 0..<b {
                for (i, pos) in chunk.enumerated() {
                    for j in 0..<c { got[(bi * t + pos) * c + j] = y.data[(bi * chunk.count + i) * c + j] }
                }
            }
            past += chunk.count
        }
        #expect(maxRelativeError(got, full.map(Double.init)) < 1e-5)
    }

    @Test func kvCacheSkipsLeftPadding() {
        // Row 1 is row 0's first 6 tokens behind 3 padding positions holding garbage.
        var r = TestRandom(7)
        let (t, c, h, pad) = (9, 8, 2, 3)
        let real = r.tensor([1, t - pad, 3 * c]), garbage = r.tensor([1, pad, 3 * c], scale: 10)
        let row1 = garbage.toArray() + real.toArray()
        let batch = Tensor(shape: [2, t, 3 * c], values: row1 + row1)
        let keys = Tensor(zeros: [2, h, t, c / h]), values = Tensor(zeros: [2, h, t, c / h])
        let y = cachedCausalSelfAttention(batch, heads: h, keys: keys, values: values, past: 0, firstValid: [0, Int32(pad)])
        let expected = causalSelfAttention(real, heads: h).toArray()
        let row = Array(y.toArray()[(t * c + pad * c)..<(2 * t * c)])
        #expect(maxRelativeError(row, expected.map(Double.init)) < 1e-5)
        #expect(y.toArray()[(t * c)..<(t * c + pad * c)].allSatisfy { $0 == 0 })
    }
}
