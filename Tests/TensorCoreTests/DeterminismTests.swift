import Testing
@testable import TensorCore

/// Same seed -> bit-identical forward and backward, with dropout, for any kernel thread count.
@Suite struct DeterminismTests {
    /// Loss and every parameter's gradient of one step of a fresh `TinyGPT` with dropout 0.1.
    static func step(seed: UInt64) -> [[Float]] {
        let model = TinyGPT()
        let loss = model.loss(dropout: 0.1, rng: RNG(seed: seed))
        loss.backward()
        return [loss.toArray()] + model.parameters.map { $0.grad!.toArray() }
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
        let dispatch = Parallel.with(threads: 2, splitSmallWork: true, useOpenMP: false) { Self.step(seed: 42) }
        #expect(one == two)
        #expect(one == three)
        #expect(one == dispatch)
    }

    /// Both backends (OpenMP's team when libgomp is loaded, Dispatch otherwise) run every task exactly
    /// once, also when there are more tasks than team threads.
    @Test(arguments: [true, false])
    func runCallsEveryTaskOnce(useOpenMP: Bool) {
        for tasks in [1, 2, 3, 7] {
            let calls = UnsafeMutableBufferPointer<Int>.allocate(capacity: tasks)
            defer { calls.deallocate() }
            calls.initialize(repeating: 0)
            Parallel.run(tasks: tasks, useOpenMP: useOpenMP) { t in calls[t] += 1 }
            #expect(Array(calls) == Array(repeating: 1, count: tasks), "tasks \(tasks)")
        }
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
