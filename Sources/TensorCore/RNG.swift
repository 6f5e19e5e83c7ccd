import Foundation

/// xoshiro256** seeded through splitmix64: fast, statistically strong, and its whole state is four
/// words, so checkpoints can store it and a resumed run draws exactly the numbers an uninterrupted run would.
public struct RNG: Codable, Equatable, Sendable {
    public private(set) var state: [UInt64]

    public init(seed: UInt64) {
        var s = seed
        state = (0..<4).map { _ in RNG.splitmix64(&s) }
    }

    /// An independent generator for a named sub-stream (e.g. one per dropout layer or per epoch),
    /// so adding a consumer does not shift the numbers every other consumer sees.
    public func fork(_ stream: UInt64) -> RNG {
        var s = state[0] ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ state[3]
        var r = RNG(seed: RNG.splitmix64(&s))
        _ = r.next()
        return r
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits, the resolution of Float.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform integer in 0..<bound without modulo bias (Lemire's method).
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Standard normal sample (Box–Muller in Double, one value per call so the stream stays simple).
    public mutating func normal(mean: Float = 0, std: Float = 1) -> Float {
        var u1 = nextDouble()
        while u1 <= .leastNormalMagnitude { u1 = nextDouble() }
        let u2 = nextDouble()
        let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        return mean + std * Float(z)
    }

    /// Fisher–Yates shuffle driven by this generator.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, next(below: i + 1))
        }
    }

    private static func splitmix64(_ s: inout UInt64) -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
