import Foundation

/// Bit-exact widening of the 16-bit formats safetensors stores. Written by hand rather than with `Float16`,
/// which Swift lacks on Intel macOS.
enum HalfPrecision {
    /// IEEE 754 binary16 → binary32, exact for every input (subnormals, infinities, NaN payloads).
    @inline(__always)
    static func float(fromF16 h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        var mantissa = UInt32(h & 0x3FF)
        let bits: UInt32
        if exponent == 0x1F {
            bits = sign | 0x7F80_0000 | (mantissa << 13)               // inf / NaN (payload kept)
        } else if exponent != 0 {
            bits = sign | ((exponent + 112) << 23) | (mantissa << 13)  // rebias 15 → 127
        } else if mantissa == 0 {
            bits = sign                                                 // ±0
        } else {
            // Subnormal: shift the leading 1 into the implicit position, lowering the exponent as we go.
            var e: UInt32 = 113
            while mantissa & 0x400 == 0 { mantissa <<= 1; e -= 1 }
            bits = sign | (e << 23) | ((mantissa & 0x3FF) << 13)
        }
        return Float(bitPattern: bits)
    }

    /// bfloat16 is the top half of a binary32.
    @inline(__always)
    static func float(fromBF16 b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }
}
