import Foundation
import Testing
import TensorCore
@testable import GPT

/// Finch's GPT-2 against Hugging Face transformers' GPT2LMHeadModel on identical weights and a padded batch
/// (fixture: Tests/Fixtures/generate_gpt_parity.py).
///
/// Tolerances: both sides compute in fp32 but sum in different orders (oneDNN blocking vs MKL, fused vs
/// unfused softmax), which moves results by a few ulps per reduction; over two layers and a 50,257-way
/// softmax that stays below 1e-4 relative. Each sampled value must agree within 1e-4 relative plus 1e-4 of the
/// tensor's RMS (so tiny entries of a large tensor are judged against its scale), and each float64 sum within
/// 1e-4 of the sum of magnitudes.
@Suite struct HuggingFaceParityTests {
    struct Parameter: Decodable {
        let shape: [Int]
        let indices: [Int]
        let grad: TensorDigest
        let after_adamw: TensorDigest
    }
    struct Logits: Decodable {
        let shape: [Int]
        let indices: [Int]
        let sum: Double, abs: Double, sq: Double
        let samples: [Double]
    }
    struct Fixture: Decodable {
        let config: [String: Int]
        let inputs: [[Int32]]
        let targets: [[Int32]]
        let loss: Double
        let logits: Logits
        let parameters: [String: Parameter]
    }

    static func check(_ what: String, _ t: UnsafePointer<Float>, count n: Int, indices: [Int], _ d: TensorDigest,
                      skip: (Int) -> Bool = { _ in false }) {
        var sum = 0.0
        for i in 0..<n { sum += Double(t[i]) }
        let rms = (d.sq / Double(max(n, 1))).squareRoot()
        #expect(Swift.abs(sum - d.sum) <= 1e-4 * d.abs + 1e-12, "\(what): sum \(sum) vs \(d.sum)")
        for (j, i) in indices.enumerated() where !skip(j) {
            let got = Double(t[i]), want = d.samples[j]
            #expect(Swift.abs(got - want) <= 1e-4 * Swift.abs(want) + 1e-4 * rms, "\(what)[\(i)]: \(got) vs \(want)")
        }
    }

    @Test func logitsLossGradientsAndAdamWMatchTransformers() throws {
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Fixtures.gpt("parity.json")))
        let config = GPTConfig(layers: f.config["layers"]!, heads: f.config["heads"]!, dim: f.config["dim"]!,
                               context: f.config["context"]!, vocab: f.config["vocab"]!)
        let model = GPTModel(weights: try HashedWeights.make(config))
        let B = f.inputs.count, T = f.inputs[0].count
        let ids = f.inputs.flatMap { $0 }, targets = f.targets.flatMap { $0 }

        let logits = model.logits(ids: ids, batch: B, length: T)
        #expect(logits.shape == f.logits.shape)
        Self.check("logits", logits.data, count: logits.count, indices: f.logits.indices,
                   TensorDigest(sum: f.logits.sum, abs: f.logits.abs, sq: f.logits.sq, samples: f.logits.samples))
        let loss = crossEntropy(logits, targets: targets)
        #expect(Swift.abs(Double(loss.item) - f.loss) < 1e-5 * f.loss)

        loss.backward()
        for (name, t) in model.weights.named {
            let p = try #require(f.parameters[name])
            #expect(t.shape == p.shape)
            let g = try #require(t.grad, "\(name) got no gradient")
            Self.check("grad \(name)", g.data, count: g.count, indices: p.indices, p.grad)
        }

        let adamw = AdamW([ParameterGroup(named: model.weights.named)], lr: 1e-3, weightDecay: 0.1)
        adamw.step()
        for (name, t) in model.weights.named {
            let p = f.parameters[name]!
            // Adam's first step moves each weight by ≈ lr·sign(g). Where the true gradient is zero — the key bias,
            // since softmax ignores a shift shared by all keys — both sides hold rounding noise and its sign is
            // arbitrary, so those entries say nothing about parity.
            let gradRMS = (p.grad.sq / Double(t.count)).squareRoot()
            Self.check("adamw \(name)", t.data, count: t.count, indices: p.indices, p.after_adamw,
                       skip: { Swift.abs(p.grad.samples[$0]) < 1e-4 * gradRMS })
        }
    }
}
