import Foundation
import Testing
@testable import TensorCore

@Suite struct RNGTests {
    @Test func sameSeedSameStream() {
        var a = RNG(seed: 123), b = RNG(seed: 123)
        for _ in 0..<1000 { #expect(a.next() == b.next()) }
        var c = RNG(seed: 124)
        var d = RNG(seed: 123)
        #expect((0..<8).map { _ in c.next() } != (0..<8).map { _ in d.next() })
    }

    @Test func stateRoundTripsThroughCodable() throws {
        var a = RNG(seed: 7)
        for _ in 0..<10 { _ = a.next() }
        let saved = try JSONEncoder().encode(a)
        var b = try JSONDecoder().decode(RNG.self, from: saved)
        for _ in 0..<100 { #expect(a.nextFloat() == b.nextFloat()) }
    }

    @Test func uniformAndNormalMoments() {
        var r = RNG(seed: 1)
        let n = 200_000
        var sum = 0.0, sumSq = 0.0
        for _ in 0..<n { let x = Double(r.normal()); sum += x; sumSq += x * x }
        #expect(abs(sum / Double(n)) < 0.01)
        #expect(abs(sumSq / Double(n) - 1) < 0.02)
        var u = 0.0
        for _ in 0..<n { let x = r.nextFloat(); #expect(x >= 0 && x < 1); u += Double(x) }
        #expect(abs(u / Double(n) - 0.5) < 0.005)
    }

    @Test func boundedDrawsCoverRangeEvenly() {
        var r = RNG(seed: 9)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[r.next(below: 7)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
    }

    @Test func forkedStreamsDifferAndAreReproducible() {
        let base = RNG(seed: 5)
        var f1 = base.fork(1), f1again = base.fork(1), f2 = base.fork(2)
        let a = (0..<4).map { _ in f1.next() }
        #expect(a == (0..<4).map { _ in f1again.next() })
        #expect(a != (0..<4).map { _ in f2.next() })
    }
}
