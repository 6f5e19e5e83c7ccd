@testable import TensorCore

/// `count` standard-normal values from a seeded stream (test inputs that are reproducible and not special).
func normalValues(_ count: Int, seed: UInt64) -> [Float] {
    var rng = RNG(seed: seed)
    return MatmulTests.random(count, &rng)
}
