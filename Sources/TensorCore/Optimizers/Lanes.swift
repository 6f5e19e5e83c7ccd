import Foundation

/// Eight Float lanes: the element-wise optimizer loops run on these because the default x86-64 target
/// neither auto-vectorizes them (several pointers, square roots, divisions) nor has an FMA instruction.
typealias Lanes = SIMD8<Float>

@inline(__always)
func loadLanes(_ p: UnsafeMutablePointer<Float>, _ i: Int, valid: Int) -> Lanes {
    if valid == Lanes.scalarCount { return UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self) }
    var v = Lanes()
    for k in 0..<valid { v[k] = p[i + k] }
    return v
}

@inline(__always)
func storeLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ i: Int, valid: Int) {
    if valid == Lanes.scalarCount { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Lanes.self); return }
    for k in 0..<valid { p[i + k] = v[k] }
}

/// `a*b + c` rounded once, as the fused multiply-adds in PyTorch's vector kernels: the Float product is
/// exact in Double, so only the final sum is rounded — twice (to Double, then Float), which differs from a
/// true FMA only when the Double result lands exactly halfway between two Floats (about 1 in 2^29).
/// `Float.addingProduct` would be exact but compiles to a `fmaf` call per element on this target.
@inline(__always)
func fusedMultiplyAdd(_ a: Lanes, _ b: Lanes, _ c: Lanes) -> Lanes {
    Lanes(SIMD8<Double>(a) * SIMD8<Double>(b) + SIMD8<Double>(c))
}

@inline(__always)
func fusedMultiplyAdd(_ a: Float, _ b: Float, _ c: Float) -> Float { Float(Double(a) * Double(b) + Double(c)) }
