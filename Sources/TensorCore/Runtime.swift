import CDNNL
import Foundation

/// What the numeric runtime is built on, for `finch --version` and benchmark records.
public enum Runtime {
    /// oneDNN's version as "major.minor.patch".
    public static var oneDNNVersion: String {
        guard let v = dnnl_version()?.pointee else { return "unknown" }
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// The most capable instruction set oneDNN dispatches to on this CPU (e.g. `avx512_core_amx`).
    public static var cpuISA: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_sse41: return "sse41"
        default: return "other"
        }
    }

    /// Whether bf16 matrix products can run on AMX tiles here.
    public static var hasAMX: Bool { cpuISA == "avx512_core_amx" }
}
