import Testing
@testable import TensorCore

@Suite struct AutogradTests {
    @Test func backwardAccumulatesAcrossPasses() {
        let w = Tensor(shape: [3], values: [1, 2, 3], requiresGrad: true)
        let x = Tensor(shape: [3], values: [4, 5, 6])
        sum(w * x).backward()
        #expect(w.grad!.toArray() == [4, 5, 6])
        sum(w * x).backward()
        #expect(w.grad!.toArray() == [8, 10, 12])
        w.zeroGrad()
        sum(scale(w, 2)).backward()
        #expect(w.grad!.toArray() == [2, 2, 2])
    }

    @Test func sharedInputsSumTheirGradients() {
        let a = Tensor(shape: [2], values: [3, -1], requiresGrad: true)
        let y = a * a + a          // dy/da = 2a + 1
        sum(y).backward()
        #expect(a.grad!.toArray() == [7, -1])
    }

    /// Products write a missing gradient buffer fresh and add to one in place: `h` feeds two products (the
    /// second backward step finds the first one's buffer), `w` keeps its gradient across passes.
    @Test func productGradientsWriteFreshAndAccumulate() {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let w = Tensor(shape: [3, 2], values: [1, -1, 2, 0, -3, 1], requiresGrad: true)
        let h = scale(x, 1)
        // d/dh Σ(h·w) = 1·wᵀ per row; d/dw Σ(h·w) = hᵀ·1 per column.
        let rowOfW: [Float] = [0, 2, -2], columnOfX: [Float] = [5, 7, 9]
        sum(matmul(h, w) + linear(h, weight: w)).backward()
        #expect(x.grad!.toArray() == (rowOfW + rowOfW).map { 2 * $0 })
        #expect(w.grad!.toArray() == columnOfX.flatMap { [2 * $0, 2 * $0] })
        sum(matmul(x, w)).backward()
        #expect(x.grad!.toArray() == (rowOfW + rowOfW).map { 3 * $0 })
        #expect(w.grad!.toArray() == columnOfX.flatMap { [3 * $0, 3 * $0] })
    }

    /// Discarded gradients read as zeros, and the next backward replaces them whichever way its ops write
    /// (a product overwriting, an element-wise op adding into a zero-filled buffer, a handed-over tensor).
    @Test func discardedGradientsReadAsZerosAndAreReplaced() {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let w = Tensor(shape: [3, 2], values: [1, -1, 2, 0, -3, 1], requiresGrad: true)
        let b = Tensor(shape: [2], values: [0.5, -0.5], requiresGrad: true)
        func pass() { sum(gelu(linear(x, weight: w, bias: b)) + linear(x, weight: w)).backward() }
        pass()
        let (gx, gw, gb) = (x.grad!.toArray(), w.grad!.toArray(), b.grad!.toArray())
        pass()
        for t in [x, w, b] { t.discardGradientValues() }
        #expect(b.grad!.toArray() == [0, 0])
        pass()
        #expect(x.grad!.toArray() == gx && w.grad!.toArray() == gw && b.grad!.toArray() == gb)
        for t in [x, w, b] { t.discardGradientValues() }
        pass()
        pass()
        #expect(w.grad!.toArray() == gw.map { 2 * $0 })
    }

    @Test func withoutGradientsRecordsNothing() {
        let w = Tensor(shape: [2, 2], values: [1, 2, 3, 4], requiresGrad: true)
        let y = withoutGradients { gelu(linear(Tensor(shape: [1, 2], values: [1, 1]), weight: w)) }
        #expect(y.node == nil && !y.requiresGrad)
        #expect(GradMode.isEnabled)
    }

    @Test func backwardFreesSavedActivations() {
        var r = TestRandom(1)
        let w = r.tensor([4, 4], requiresGrad: true)
        weak var savedStorage: TensorStorage?
        var loss: Tensor?
        do {
            let h = gelu(linear(r.tensor([3, 4]), weight: w))
            savedStorage = h.storage
            loss = sum(h * h)       // mul saves h
        }
        #expect(savedStorage != nil) // kept alive by the graph
        loss!.backward()
        #expect(savedStorage == nil) // released by backward
        #expect(w.grad != nil)
    }

    @Test func unusedIntermediatesAreNotRetained() {
        // The graph holds what backward needs, not every input: an add keeps neither operand.
        var r = TestRandom(2)
        let w = r.tensor([5], requiresGrad: true)
        weak var tmpStorage: TensorStorage?
        var out: Tensor?
        do {
            let tmp = scale(w, 3)
            tmpStorage = tmp.storage
            out = tmp + w
        }
        #expect(tmpStorage == nil)
        out!.backward(gradient: Tensor(shape: [5], repeating: 1))
        #expect(w.grad!.toArray() == [Float](repeating: 4, count: 5))
    }

    @Test func precisionSettingIsScoped() {
        #expect(ComputeSettings.precision == .fp32)
        withPrecision(.bf16) { #expect(ComputeSettings.precision == .bf16) }
        #expect(ComputeSettings.precision == .fp32)
    }
}
