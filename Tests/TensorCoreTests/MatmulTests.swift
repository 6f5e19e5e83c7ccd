import Foundation
import Testing
@testable import TensorCore

/// oneDNN matmul against the Double reference, with error bounds derived rather than guessed.
///
/// fp32: any summation order of K products in fp32 is within (K−1)·u·Σ|a·b| of the exact sum (u = 2⁻²⁴,
/// the standard bound, Higham §3.1); one more rounding each for the product and for `accumulate`'s
/// addition gives the (K+2)·u·(Σ|a·b| + |C₀|) used below.
/// bf16: the inputs are first rounded to bf16; a product of two bf16 values (8-bit significands) is exact
/// in fp32, so against the reference computed on the *rounded* inputs the same fp32 bound holds. Against
/// the unrounded inputs each factor moves by at most 2⁻⁸ relative (8-bit significand), so |a·b| moves by
/// ≤ (2·2⁻⁸ + 2⁻¹⁶)|a·b|, which adds ≈ 2⁻⁷·Σ|a·b| to the bound.
@Suite struct MatmulTests {
    struct Case: CustomStringConvertible {
        var m, n, k: Int
        var transA = false, transB = false, batch = 1, accumulate = false
        var description: String { "m=\(m) n=\(n) k=\(k) tA=\(transA) tB=\(transB) batch=\(batch) acc=\(accumulate)" }
    }

    static let u = 0x1p-24

    /// Exact (Double) product with the magnitude sums the error bounds need; `round` maps inputs first.
    static func exact(_ a: [Float], _ b: [Float], _ c0: [Float], _ t: Case, round: (Float) -> Float = { $0 })
        -> (value: [Double], magnitude: [Double])
    {
        var value = [Double](repeating: 0, count: t.batch * t.m * t.n), magnitude = value
        for p in 0..<t.batch {
            for i in 0..<t.m {
                for j in 0..<t.n {
                    var s = 0.0, mag = 0.0
                    for q in 0..<t.k {
                        let av = t.transA ? a[p * t.m * t.k + q * t.m + i] : a[p * t.m * t.k + i * t.k + q]
                        let bv = t.transB ? b[p * t.k * t.n + j * t.k + q] : b[p * t.k * t.n + q * t.n + j]
                        let prod = Double(round(av)) * Double(round(bv))
                        s += prod
                        mag += abs(prod)
                    }
                    let o = p * t.m * t.n + i * t.n + j
                    value[o] = s + (t.accumulate ? Double(c0[o]) : 0)
                    magnitude[o] = mag + (t.accumulate ? abs(Double(c0[o])) : 0)
                }
            }
        }
        return (value, magnitude)
    }

    static func random(_ count: Int, _ rng: inout RNG) -> [Float] { (0..<count).map { _ in rng.normal() } }

    /// Runs `matmul` on random data and returns the worst |error| / allowed ratio (must be ≤ 1).
    static func worstError(_ t: Case, precision: Precision, seed: UInt64, againstRoundedInputs: Bool = true) -> Double {
        var rng = RNG(seed: seed)
        let a = random(t.batch * t.m * t.k, &rng), b = random(t.batch * t.k * t.n, &rng)
        let c0 = random(t.batch * t.m * t.n, &rng)
        var c = c0
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    matmul(ap.baseAddress!, bp.baseAddress!, cp.baseAddress!, m: t.m, n: t.n, k: t.k,
                           transA: t.transA, transB: t.transB, batch: t.batch, accumulate: t.accumulate,
                           precision: precision)
                }
            }
        }
        let roundInputs = precision == .bf16 && againstRoundedInputs
        let (value, magnitude) = exact(a, b, c0, t, round: roundInputs ? BFloat16.rounded : { $0 })
        var relative = Double(t.k + 2) * u
        if precision == .bf16 && !againstRoundedInputs { relative += 2 * 0x1p-8 + 0x1p-16 }
        var worst = 0.0
        for o in c.indices {
            let allowed = relative * magnitude[o] + Double(Float.leastNormalMagnitude)
            worst = max(worst, abs(Double(c[o]) - value[o]) / allowed)
        }
        return worst
    }

    /// Random shapes, odd sizes included (1, primes, just past vector widths), every transpose combination.
    static func randomCases(seed: UInt64, count: Int) -> [Case] {
        var rng = RNG(seed: seed)
        let sizes = [1, 2, 3, 7, 15, 16, 17, 31, 33, 47, 64, 65, 71]
        return (0..<count).map { i in
            Case(m: sizes[rng.next(below: sizes.count)], n: sizes[rng.next(below: sizes.count)],
                 k: sizes[rng.next(below: sizes.count)], transA: i & 1 != 0, transB: i & 2 != 0,
                 batch: i % 3 == 2 ? 1 + rng.next(below: 4) : 1, accumulate: i % 5 == 4)
        }
    }

    @Test(arguments: Precision.allCases)
    func randomShapesMatchReference(precision: Precision) {
        for (i, t) in Self.randomCases(seed: 42, count: 24).enumerated() {
            let worst = Self.worstError(t, precision: precision, seed: UInt64(i))
            #expect(worst <= 1, "\(precision) \(t): error is \(worst)× the bound")
        }
    }

    @Test func bf16StaysWithinInputRoundingOfTheFp32Product() {
        for (i, t) in Self.randomCases(seed: 7, count: 8).enumerated() {
            let worst = Self.worstError(t, precision: .bf16, seed: 100 + UInt64(i), againstRoundedInputs: false)
            #expect(worst <= 1, "\(t): error is \(worst)× the bound")
        }
    }

    /// bf16 must really round its inputs: on data that needs more than 8 significant bits, the bf16
    /// result differs from fp32 by far more than fp32 rounding, proving it is not a silent fp32 fallback.
    @Test func bf16ActuallyRoundsInputs() {
        let t = Case(m: 5, n: 4, k: 9)
        let a = (0..<t.m * t.k).map { Float(1 + $0) * 1.001 }, b = (0..<t.k * t.n).map { Float(1 + $0) * 1.003 }
        var c32 = [Float](repeating: 0, count: t.m * t.n), c16 = c32
        matmul(a, b, &c32, m: t.m, n: t.n, k: t.k)
        matmul(a, b, &c16, m: t.m, n: t.n, k: t.k, precision: .bf16)
        let rounded = Self.exact(a, b, [], t, round: BFloat16.rounded).value
        let full = Self.exact(a, b, [], t).value
        for o in c16.indices {
            #expect(abs(Double(c16[o]) - rounded[o]) <= 1e-6 * abs(rounded[o]))
            #expect(abs(Double(c32[o]) - full[o]) <= 1e-6 * abs(full[o]))
        }
        #expect(zip(rounded, full).contains { abs($0 - $1) > 1e-4 * abs($1) }, "test data must need more than bf16 precision")
    }

    /// The shapes attention uses: batch·heads contiguous problems, Q·Kᵀ then P·V, plus their backward.
    @Test(arguments: Precision.allCases)
    func batchedAttentionShapes(precision: Precision) {
        let (bh, t, d) = (6, 13, 8)
        let cases = [Case(m: t, n: t, k: d, transB: true, batch: bh),    // scores = Q·Kᵀ
                     Case(m: t, n: d, k: t, batch: bh),                  // out = P·V
                     Case(m: t, n: t, k: d, transB: true, batch: bh),    // dP = dOut·Vᵀ
                     Case(m: t, n: d, k: t, transA: true, batch: bh),    // dV = Pᵀ·dOut
                     Case(m: t, n: d, k: t, transA: true, batch: bh, accumulate: true)]
        for (i, c) in cases.enumerated() {
            let worst = Self.worstError(c, precision: precision, seed: 900 + UInt64(i))
            #expect(worst <= 1, "\(precision) \(c): error is \(worst)× the bound")
        }
    }

    /// bf16 products with M over 8 × N and K pack B into oneDNN's blocked layout first: every transpose,
    /// with and without accumulating, from fp32 B and from a B already rounded (same bits either way).
    @Test func tallBF16ProductsPackBAndMatchReference() {
        var packed = 0
        for (i, (n, k)) in [(5, 7), (16, 30), (33, 3)].enumerated() {
            for flags in 0..<8 {
                let t = Case(m: 300, n: n, k: k, transA: flags & 1 != 0, transB: flags & 2 != 0, accumulate: flags & 4 != 0)
                let key = MatmulKey(m: t.m, n: t.n, k: t.k, batch: 1, transA: t.transA, transB: t.transB,
                                    accumulate: t.accumulate, precision: .bf16)
                #expect(MatmulPrimitive.packsB(key))
                if MatmulPlans.plan(for: key).packedB { packed += 1 }
                let worst = Self.worstError(t, precision: .bf16, seed: 300 + UInt64(8 * i + flags))
                #expect(worst <= 1, "\(t): error is \(worst)× the bound")

                var rng = RNG(seed: UInt64(i))
                let a = Self.random(t.m * t.k, &rng), b = Self.random(t.k * t.n, &rng)
                var fromFP32 = [Float](repeating: 0, count: t.m * t.n), fromBF16 = fromFP32
                matmul(a, b, &fromFP32, m: t.m, n: t.n, k: t.k, transA: t.transA, transB: t.transB, precision: .bf16)
                let copy = BF16Copy(b, count: b.count)
                a.withUnsafeBufferPointer { ap in
                    matmul(.fp32(ap.baseAddress!), copy.operand, &fromBF16, m: t.m, n: t.n, k: t.k,
                           transA: t.transA, transB: t.transB, precision: .bf16)
                }
                #expect(fromFP32 == fromBF16, "\(t)")
            }
        }
        #expect(packed > 0, "no tall product packed B: the packing path went untested")
    }

    @Test func emptySizes() {
        var c: [Float] = [1, 2, 3, 4]
        let a: [Float] = [9], b: [Float] = [9]
        matmul(a, b, &c, m: 2, n: 2, k: 0, accumulate: true)
        #expect(c == [1, 2, 3, 4])
        matmul(a, b, &c, m: 2, n: 2, k: 0)
        #expect(c == [0, 0, 0, 0])
        c = [5]
        matmul(a, b, &c, m: 0, n: 1, k: 1)
        matmul(a, b, &c, m: 1, n: 1, k: 1, batch: 0)
        #expect(c == [5])
    }

    @Test func plansAreReusedPerKey() {
        let a = [Float](repeating: 1, count: 37 * 41), b = a
        var c = [Float](repeating: 0, count: 37 * 37)
        let key = MatmulKey(m: 37, n: 37, k: 41, batch: 1, transA: false, transB: true, accumulate: false, precision: .fp32)
        matmul(a, b, &c, m: 37, n: 37, k: 41, transB: true)
        // Other tests create plans concurrently, so compare identities rather than counting the cache.
        let plan = MatmulPlans.plan(for: key)
        matmul(a, b, &c, m: 37, n: 37, k: 41, transB: true)
        #expect(MatmulPlans.plan(for: key) === plan)
        #expect(c.allSatisfy { $0 == 41 })
        var accumulating = key
        accumulating.accumulate = true
        #expect(MatmulPlans.plan(for: accumulating) !== plan)
        matmul(a, b, &c, m: 37, n: 37, k: 41, transB: true, accumulate: true)
        #expect(c.allSatisfy { $0 == 82 })
    }

    /// Several threads sharing plans (and creating them) at once must each get their own right answer.
    @Test func concurrentCallsAreIndependent() {
        let cases = Self.randomCases(seed: 3, count: 8)
        let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: 16)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            results[i] = Self.worstError(cases[i % 8], precision: i < 8 ? .fp32 : .bf16, seed: UInt64(i % 8))
        }
        for i in 0..<16 { #expect(results[i] <= 1, "call \(i): \(cases[i % 8]) error is \(results[i])× the bound") }
    }

    @Test func bf16ReferenceRounding() {
        #expect(BFloat16.bits(1) == 0x3F80)
        #expect(BFloat16.bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
        #expect(BFloat16.bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
        #expect(BFloat16.bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)  // above the tie
        #expect(BFloat16.bits(Float(bitPattern: 0x7F7F_FFFF)) == 0x7F80)  // max float overflows to inf
        #expect(BFloat16.bits(-.infinity) == 0xFF80)
        #expect(BFloat16.float(BFloat16.bits(.nan)).isNaN)
        #expect(BFloat16.float(0x4049) == 3.140625)
    }

    /// oneDNN's reorder (the converter matmul uses) rounds exactly like the reference on normal numbers,
    /// ties and specials; fp32 subnormals, which it flushes to zero, are left out on purpose.
    @Test func oneDNNConversionMatchesReference() {
        var rng = RNG(seed: 11)
        var values: [Float] = [0, -0.0, 1, -1, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNormalMagnitude, Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000),
                               Float(bitPattern: 0xBF80_8000), Float(bitPattern: 0x3F80_7FFF)]
        for _ in 0..<5000 {
            let v = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if v.isNormal { values.append(v) }
        }
        for _ in 0..<1000 { values.append(Float(bitPattern: UInt32(0x3F80_0000 + rng.next(below: 1 << 16)) & ~0x7FFF | 0x8000)) }
        var out = [UInt16](repeating: 0, count: values.count)
        BFloat16.convert(values, to: &out, count: values.count)
        for (v, o) in zip(values, out) {
            #expect(o == BFloat16.bits(v), "\(v) (0x\(String(v.bitPattern, radix: 16))) → 0x\(String(o, radix: 16))")
        }
        var nan = [UInt16](repeating: 0, count: 1)
        BFloat16.convert([Float.nan], to: &nan, count: 1)
        #expect(BFloat16.float(nan[0]).isNaN)
    }
}
