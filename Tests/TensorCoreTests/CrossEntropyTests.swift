import Foundation
import Testing
@testable import TensorCore

@Suite struct CrossEntropyTests {
    @Test func handCheckedIgnoreIndexExample() {
        // Row 0: logits (0, 0), target 0 -> ln 2. Row 1 ignored. Row 2: (ln 3, 0), target 1 -> ln 4.
        // Mean over the 2 non-ignored rows: 1.5 ln 2. Gradient (softmax - onehot) / 2, row 1 zero.
        let logits = Tensor(shape: [3, 2], values: [0, 0, 5, -5, Float(log(3.0)), 0], requiresGrad: true)
        let loss = crossEntropy(logits, targets: [0, -100, 1] as [Int32])
        #expect(abs(Double(loss.item) - 1.5 * log(2.0)) < 1e-6)
        loss.backward()
        let expected: [Float] = [-0.25, 0.25, 0, 0, 0.375, -0.375]
        for (g, e) in zip(logits.grad!.toArray(), expected) { #expect(abs(g - e) < 1e-6) }
    }

    struct Fixture: Decodable {
        let rows: Int, vocab: Int
        let logits: [Float], targets: [Int], loss: Double, grad: [Double]
        let all_ignored_loss_is_nan: Bool, all_ignored_grad_is_zero: Bool
    }

    static func fixture() throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/cross_entropy/ignore_index.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test func equalsPyTorchOnFixture() throws {
        let f = try Self.fixture()
        let logits = Tensor(shape: [f.rows, f.vocab], values: f.logits, requiresGrad: true)
        let loss = crossEntropy(logits, targets: f.targets)
        #expect(abs(Double(loss.item) - f.loss) < 1e-5)
        loss.backward()
        #expect(maxRelativeError(logits.grad!.toArray(), f.grad) < 1e-6)
    }

    @Test func gradientAccumulatesWhetherOrNotABufferExists() throws {
        // Backward hands its buffer over as the gradient when there is none, and adds otherwise.
        let f = try Self.fixture()
        let logits = Tensor(shape: [f.rows, f.vocab], values: f.logits, requiresGrad: true)
        crossEntropy(logits, targets: f.targets).backward()
        crossEntropy(logits, targets: f.targets).backward()
        #expect(maxRelativeError(logits.grad!.toArray(), f.grad.map { 2 * $0 }) < 1e-6)
        // Non-leaf logits read by two consumers: the cross-entropy and a plain sum.
        let x = Tensor(shape: [f.rows, f.vocab], values: f.logits, requiresGrad: true)
        let y = scale(x, 1)
        (crossEntropy(y, targets: f.targets) + sum(y)).backward()
        #expect(maxRelativeError(x.grad!.toArray(), f.grad.map { $0 + 1 }) < 1e-6)
    }

    @Test func allIgnoredGivesZeroLossAndZeroGradient() throws {
        // PyTorch: NaN loss, zero gradient (recorded in the fixture). Finch: 0 and zero gradient.
        let f = try Self.fixture()
        #expect(f.all_ignored_loss_is_nan && f.all_ignored_grad_is_zero)
        let logits = Tensor(shape: [f.rows, f.vocab], values: f.logits, requiresGrad: true)
        let loss = crossEntropy(logits, targets: [Int](repeating: -100, count: f.rows))
        #expect(loss.item == 0)
        loss.backward()
        #expect(logits.grad!.toArray().allSatisfy { $0 == 0 })
    }

    @Test(arguments: [(1, 1), (4, 17), (3, 1031)])
    func forwardMatchesReferenceOnOddShapes(rows: Int, vocab: Int) {
        var r = TestRandom(UInt64(rows * vocab))
        let logits = r.tensor([rows, vocab], scale: 4)
        var targets = (0..<rows).map { _ in Int32(r.rng.next(below: vocab)) }
        if rows > 2 { targets[1] = -100 }
        let loss = crossEntropy(logits, targets: targets)
        let expected = CrossEntropyReference.forward(doubles(logits), targets: targets, rows: rows, vocab: vocab)
        #expect(abs(Double(loss.item) - expected) < 1e-5 * max(1, abs(expected)))
    }
}
