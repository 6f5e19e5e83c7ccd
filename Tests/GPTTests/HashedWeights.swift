import Foundation
import TensorCore
@testable import GPT

/// The weights `Tests/Fixtures/generate_gpt_parity.py` builds: every element from a splitmix64 hash of
/// (parameter index, element index), so both sides construct identical models without committing weights.
enum HashedWeights {
    /// `gain` multiplies the spread of the non-norm weights: generation tests use a large gain so a random model
    /// produces varied, decisive continuations instead of repeating one token.
    static func make(_ config: GPTConfig, gain: Double = 1) throws -> GPTWeights {
        var tensors: [String: Tensor] = [:]
        for (k, entry) in ParameterLayout(config: config).entries.enumerated() {
            let name = entry.name
            let (center, scale): (Double, Double)
            if name.contains(".ln_") || name.hasPrefix("ln_f") {
                (center, scale) = name.hasSuffix("weight") ? (1.0, 0.1) : (0.0, 0.1)
            } else if name.hasSuffix("bias") {
                (center, scale) = (0.0, 0.02 * gain)
            } else {
                (center, scale) = (0.0, 0.05 * gain)
            }
            let t = Tensor(zeros: entry.shape)
            let base = UInt64(k + 1) &* 0x9E37_79B9_7F4A_7C15
            for i in 0..<t.count {
                var z = base &+ UInt64(i)
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                let u = Double(z >> 40) / Double(1 << 24)
                t.data[i] = Float(center + scale * (2 * u - 1))
            }
            tensors[name] = t
        }
        return try GPTWeights(config: config, tensors: tensors)
    }
}

/// Float64 sums and sampled values of one tensor, as the fixture records them.
struct TensorDigest: Decodable {
    let sum: Double
    let abs: Double
    let sq: Double
    let samples: [Double]
}

extension Fixtures {
    static func gpt(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/gpt/\(name)")
    }
}

enum Fixtures {}
