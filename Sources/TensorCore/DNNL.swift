import CDNNL
import Foundation

/// The process-wide oneDNN objects every primitive in Finch shares: one CPU engine and a pool of streams.
///
/// oneDNN primitives may be executed concurrently from several threads (the library-managed scratchpad
/// is per thread in Debian's build), but a stream is not documented as thread-safe, so each execution
/// borrows a stream from a small pool and gives it back.
enum DNNL {
    static let engine: dnnl_engine_t = {
        var e: dnnl_engine_t?
        check(dnnl_engine_create(&e, dnnl_cpu, 0), "creating the CPU engine")
        return e!
    }()

    private static let streamLock = NSLock()
    nonisolated(unsafe) private static var freeStreams: [dnnl_stream_t] = []

    /// Runs `body` with a stream no other thread is using at the same time.
    static func withStream<R>(_ body: (dnnl_stream_t) -> R) -> R {
        streamLock.lock()
        var stream = freeStreams.popLast()
        streamLock.unlock()
        if stream == nil {
            check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        }
        defer {
            streamLock.lock()
            freeStreams.append(stream!)
            streamLock.unlock()
        }
        return body(stream!)
    }

    /// Failures here are programming errors (a descriptor Finch built wrongly, or an out-of-memory
    /// inside oneDNN), never a consequence of user input, so they stop the process with the status.
    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
        if status != dnnl_success {
            fatalError("oneDNN failed (status \(status.rawValue)) while \(what())", file: file, line: line)
        }
    }

    /// A memory descriptor with explicit element strides (row-major, transposed or batched views).
    static func memoryDesc(dims: [Int], strides: [Int], type: dnnl_data_type_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims.map(Int64.init), s = strides.map(Int64.init)
        check(dnnl_memory_desc_init_by_strides(&md, Int32(d.count), d, type, s), "describing \(dims) with strides \(strides)")
        return md
    }

    /// A memory descriptor that leaves the layout to the primitive it is given to (`format_tag_any`).
    static func memoryDesc(dims: [Int], type: dnnl_data_type_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims.map(Int64.init)
        check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, type, dnnl_format_tag_any), "describing \(dims) in any layout")
        return md
    }

    /// A memory object over caller-owned data (no copy); destroy it with `dnnl_memory_destroy`.
    static func memory(_ md: UnsafePointer<dnnl_memory_desc_t>, _ pointer: UnsafeMutableRawPointer?) -> dnnl_memory_t {
        var m: dnnl_memory_t?
        check(dnnl_memory_create(&m, md, engine, pointer), "wrapping memory")
        return m!
    }

    /// A heap copy of a descriptor with a stable address, so objects shared between threads can pass it
    /// to oneDNN without Swift `inout` access to a stored property; free it with `deallocate()`.
    static func pinned(_ md: dnnl_memory_desc_t) -> UnsafeMutablePointer<dnnl_memory_desc_t> {
        let p = UnsafeMutablePointer<dnnl_memory_desc_t>.allocate(capacity: 1)
        p.initialize(to: md)
        return p
    }

    /// Which implementation oneDNN picked for a primitive descriptor (e.g. `brg:avx512_core_amx_bf16`).
    static func implementationName(_ pd: const_dnnl_primitive_desc_t) -> String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success,
              let name else { return "unknown" }
        return String(cString: name)
    }

    /// Number of threads oneDNN's parallel regions use: GNU OpenMP's `omp_get_max_threads()`, looked up
    /// at run time because libgomp is only linked indirectly (through libdnnl). 1 if OpenMP is absent.
    static var threadCount: Int {
        typealias MaxThreads = @convention(c) () -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "omp_get_max_threads") else { return 1 }
        return Int(unsafeBitCast(symbol, to: MaxThreads.self)())
    }
}

/// Facts about oneDNN's threading, for benchmark records and `finch --version`-style reports.
public enum DNNLThreading {
    /// Threads oneDNN parallelises over (OpenMP's `omp_get_max_threads()`; follows `OMP_NUM_THREADS`).
    public static var threadCount: Int { DNNL.threadCount }
}
