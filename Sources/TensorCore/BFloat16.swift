import CDNNL

/// bfloat16 conversions. bf16 exists in Finch only inside matrix products: inputs are rounded from fp32
/// just before a bf16 matmul; everything stored (weights, activations, gradients, optimizer state) is fp32.
public enum BFloat16 {
    /// fp32 → bf16 bits with round-to-nearest-even, the plain reference. NaN stays a (quiet) NaN.
    public static func bits(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: (u >> 16) | 0x40) }
        let roundingBias: UInt32 = 0x7FFF + ((u >> 16) & 1)
        return UInt16(truncatingIfNeeded: (u &+ roundingBias) >> 16)
    }

    /// The fp32 value of bf16 bits (exact: bf16 is the upper half of an fp32).
    public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// `x` rounded to the nearest bf16, as an fp32.
    public static func rounded(_ x: Float) -> Float { float(bits(x)) }

    /// Converts `count` floats with oneDNN's reorder: vectorised (AVX-512 `vcvtneps2bf16` where the CPU
    /// has it) and spread over oneDNN's threads. Same rounding as `bits(_:)` for every normal number;
    /// the hardware instruction flushes fp32 subnormals to zero, whose bf16 magnitude is below 1.2e-38 anyway.
    public static func convert(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<UInt16>, count: Int) {
        guard count > 0 else { return }
        DNNLReorder(from: DNNL.memoryDesc(dims: [count], strides: [1], type: dnnl_f32),
                    to: DNNL.memoryDesc(dims: [count], strides: [1], type: dnnl_bf16))
            .run(from: UnsafeMutableRawPointer(mutating: source), to: destination)
    }
}

/// A oneDNN reorder primitive between two layouts/data types (fp32 → bf16, plain or blocked).
final class DNNLReorder: @unchecked Sendable {
    let primitive: dnnl_primitive_t
    private let fromDesc: UnsafeMutablePointer<dnnl_memory_desc_t>
    private let toDesc: UnsafeMutablePointer<dnnl_memory_desc_t>
    let implementation: String

    init(from: dnnl_memory_desc_t, to: dnnl_memory_desc_t) {
        fromDesc = DNNL.pinned(from)
        toDesc = DNNL.pinned(to)
        var pd: dnnl_primitive_desc_t?
        DNNL.check(dnnl_reorder_primitive_desc_create(&pd, fromDesc, DNNL.engine, toDesc, DNNL.engine, nil), "creating a reorder")
        defer { dnnl_primitive_desc_destroy(pd) }
        implementation = DNNL.implementationName(pd!)
        var p: dnnl_primitive_t?
        DNNL.check(dnnl_primitive_create(&p, pd), "creating a reorder primitive")
        primitive = p!
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        fromDesc.deallocate()
        toDesc.deallocate()
    }

    /// Runs the reorder on a stream of its own and waits for it.
    func run(from source: UnsafeMutableRawPointer, to destination: UnsafeMutableRawPointer) {
        DNNL.withStream { stream in
            execute(from: source, to: destination, stream: stream)
            DNNL.check(dnnl_stream_wait(stream), "waiting for a reorder")
        }
    }

    /// Enqueues the reorder on `stream`; the caller waits on the stream.
    func execute(from source: UnsafeMutableRawPointer, to destination: UnsafeMutableRawPointer, stream: dnnl_stream_t) {
        let src = DNNL.memory(fromDesc, source), dst = DNNL.memory(toDesc, destination)
        defer { dnnl_memory_destroy(src); dnnl_memory_destroy(dst) }
        let args = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: src), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: dst)]
        DNNL.check(dnnl_primitive_execute(primitive, stream, Int32(args.count), args), "executing a reorder")
    }
}
