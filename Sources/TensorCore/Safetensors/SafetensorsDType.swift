import Foundation

/// Element types Finch reads. Other valid safetensors dtypes are recognised only to give a precise error.
public enum SafetensorsDType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    public var byteSize: Int { self == .f32 ? 4 : 2 }

    /// Valid in the format but not loadable as Float32 weights here.
    static let otherKnown: Set<String> = ["F64", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL",
                                          "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64"]
}
