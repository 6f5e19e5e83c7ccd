import Foundation

/// Eight Float lanes (one AVX2 register): the element-wise optimizer loops run on these because the
/// compiler does not auto-vectorize them (several pointers, square roots, divisions).
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

/// `a*b + c` rounded once, as the fused multiply-adds in PyTorch's vector kernels. Release builds target
/// Haswell (see Package.swift), where this is one `vfmadd` instruction; debug builds compute the same
/// exact result lane by lane.
@inline(__always)
func fusedMultiplyAdd(_ a: Lanes, _ b: Lanes, _ c: Lanes) -> Lanes { c.addingProduct(a, b) }
