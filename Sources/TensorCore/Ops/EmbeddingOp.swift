/// Rows of `table` [V, C] picked by `ids` (shape `idsShape`, default [ids.count]) -> idsShape + [C].
/// Token embeddings use token ids; positional embeddings use position ids (0..<T per row, or
/// past..<past+T with a KV cache). Backward scatter-adds into the table's gradient, so a table used
/// twice (GPT-2's tied wte) accumulates both uses. Every id must be in 0..<V (callers validate user
/// data first; an out-of-range id here is a programming error and traps with its position).
public func embedding(_ table: Tensor, ids: [Int32], shape idsShape: [Int]? = nil) -> Tensor {
    precondition(table.rank == 2, "embedding table must be [V, C], got \(table.shape)")
    let shape = idsShape ?? [ids.count]
    precondition(shape.reduce(1, *) == ids.count, "embedding: \(ids.count) ids for shape \(shape)")
    let V = table.shape[0], C = table.shape[1], N = ids.count
    let out = Tensor(uninitialized: shape + [C])
    ids.withUnsafeBufferPointer { p in
        EmbeddingKernel.forward(out: out.data, table: table.data, ids: p.baseAddress!, count: N, vocab: V, dim: C)
    }
    return out.recorded("embedding", inputs: [table]) { g, inputs in
        guard let dt = inputs[0]?.gradBuffer() else { return }
        ids.withUnsafeBufferPointer { p in
            EmbeddingKernel.backward(dtable: dt.data, dout: g.data, ids: p.baseAddress!, count: N, dim: C)
        }
    }
}

public func embedding(_ table: Tensor, ids: [Int], shape idsShape: [Int]? = nil) -> Tensor {
    embedding(table, ids: ids.map { Int32($0) }, shape: idsShape)
}
