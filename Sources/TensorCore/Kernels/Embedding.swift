/// Row lookup (token and position embeddings) with its scatter-add backward.
public enum EmbeddingKernel {
    /// table [V, C], ids [N] -> out [N, C]; every id in 0..<V.
    public static func forward(out: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>, ids: UnsafePointer<Int32>,
                               count N: Int, vocab V: Int, dim C: Int) {
        for i in 0..<N {
            precondition(ids[i] >= 0 && Int(ids[i]) < V, "token id \(ids[i]) at position \(i) is outside 0..<\(V)")
        }
        Parallel.forRanges(N, costPerItem: C) { r in
            for i in r { (out + i * C).update(from: table + Int(ids[i]) * C, count: C) }
        }
    }

    /// dout [N, C] -> dtable [V, C] += scatter. Repeated ids add up in position order; the split is
    /// over columns so that order holds for any thread count.
    public static func backward(dtable: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, ids: UnsafePointer<Int32>,
                                count N: Int, dim C: Int) {
        Parallel.forRanges(C, costPerItem: N) { c in
            for i in 0..<N {
                let d = dtable + Int(ids[i]) * C, g = dout + i * C
                for j in c { d[j] += g[j] }
            }
        }
    }
}
