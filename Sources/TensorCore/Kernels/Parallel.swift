import Foundation

/// The one place that decides how element-wise kernels (and the optimizer) use threads.
///
/// Kernels split work into contiguous ranges of independent items (rows, columns, heads) and never
/// reduce across ranges, so results are bit-identical for any thread count.
///
/// Where the work runs: on GNU OpenMP's thread team, the same threads oneDNN's matrix products use,
/// entered through libgomp's `GOMP_parallel` (looked up at run time, as `omp_get_max_threads` is in
/// `DNNL`). A training step alternates products and element-wise kernels; after each product OpenMP's
/// idle workers spin for a while, so kernels split over Dispatch threads had to fight them for the
/// second core. Handing the kernel to the spinning team instead costs a microsecond and uses both
/// cores: GELU forward+backward at [544, 3072] right after an sgemm took 9.0 ms on one thread, 6.5 ms
/// on two Dispatch threads and 4.4 ms on OpenMP's two (`finch bench kernels --only kernel_threads`).
/// Without libgomp (a oneDNN built on another runtime) work is split with `DispatchQueue.concurrentPerform`.
///
/// Default workers: OpenMP's team size (`OMP_NUM_THREADS`, else every core) when the team is
/// available, else 1. Override with the environment variable `FINCH_KERNEL_THREADS` or by setting
/// `threads` at start-up.
public enum Parallel {
    /// Worker count for element-wise kernels. Setting it is not synchronised: do it at start-up.
    nonisolated(unsafe) public static var threads: Int = {
        if let s = ProcessInfo.processInfo.environment["FINCH_KERNEL_THREADS"], let n = Int(s), n >= 1 { return n }
        return OpenMPTeam.available ? DNNL.threadCount : 1
    }()

    /// Scoped override (tests, benchmarks): run `body` with `threads` workers; `splitSmallWork` splits
    /// even tiny loops so small test shapes exercise the threaded paths; `useOpenMP: false` splits over
    /// Dispatch threads instead of OpenMP's team. Task-local, so concurrent tests do not see each other's
    /// setting.
    public static func with<R>(threads: Int, splitSmallWork: Bool = false, useOpenMP: Bool = true,
                               _ body: () throws -> R) rethrows -> R {
        try $override.withValue(Override(threads: max(1, threads), splitSmallWork: splitSmallWork, useOpenMP: useOpenMP),
                                operation: body)
    }

    struct Override: Sendable { var threads: Int; var splitSmallWork: Bool; var useOpenMP: Bool }
    @TaskLocal static var override: Override?

    /// Calls `body` on contiguous sub-ranges covering `0..<count`, in parallel when `threads > 1`
    /// and the work is big enough (`count * costPerItem` at least `minimumWork`, in rough flops).
    @inline(__always)
    public static func forRanges(_ count: Int, costPerItem: Int = 1, minimumWork: Int = 1 << 16,
                                 _ body: (Range<Int>) -> Void) {
        let o = override
        let tasks = min(o?.threads ?? threads, count)
        if tasks <= 1 || (count * costPerItem < minimumWork && o?.splitSmallWork != true) {
            if count > 0 { body(0..<count) }
            return
        }
        run(tasks: tasks, useOpenMP: o?.useOpenMP ?? true) { t in
            let lo = count * t / tasks, hi = count * (t + 1) / tasks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Calls `body(t)` once for every `t` in `0..<tasks`, concurrently, and returns when all are done.
    public static func run(tasks: Int, useOpenMP: Bool = true, _ body: (Int) -> Void) {
        if tasks <= 1 { if tasks == 1 { body(0) }; return }
        if useOpenMP, OpenMPTeam.available {
            OpenMPTeam.run(tasks: tasks, body)
        } else {
            withoutActuallyEscaping(body) { body in DispatchQueue.concurrentPerform(iterations: tasks, execute: body) }
        }
    }
}

/// libgomp's parallel region, as GCC emits it for `#pragma omp parallel num_threads(n)`: every thread of
/// the team calls `fn(data)` and `GOMP_parallel` returns after all of them have. Thread `i` runs tasks
/// `i, i + n, …`, so any task count works with any team size.
enum OpenMPTeam {
    private typealias Region = @convention(c) (UnsafeMutableRawPointer?) -> Void
    private typealias GOMPParallel = @convention(c) (Region, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void
    private typealias ThreadQuery = @convention(c) () -> Int32

    private struct Entry { let parallel: GOMPParallel; let threadNum: ThreadQuery; let numThreads: ThreadQuery }
    private static let entry: Entry? = {
        guard let handle = dlopen(nil, RTLD_NOW),
              let parallel = dlsym(handle, "GOMP_parallel"),
              let threadNum = dlsym(handle, "omp_get_thread_num"),
              let numThreads = dlsym(handle, "omp_get_num_threads") else { return nil }
        return Entry(parallel: unsafeBitCast(parallel, to: GOMPParallel.self),
                     threadNum: unsafeBitCast(threadNum, to: ThreadQuery.self),
                     numThreads: unsafeBitCast(numThreads, to: ThreadQuery.self))
    }()

    static var available: Bool { entry != nil }

    private struct Job { let tasks: Int; let body: (Int) -> Void }

    static func run(tasks: Int, _ body: (Int) -> Void) {
        guard let entry else { preconditionFailure("OpenMPTeam.run without libgomp") }
        withoutActuallyEscaping(body) { body in
            var job = Job(tasks: tasks, body: body)
            withUnsafeMutablePointer(to: &job) { job in
                entry.parallel({ raw in
                    let job = raw!.assumingMemoryBound(to: Job.self).pointee
                    let e = OpenMPTeam.entry!
                    let team = Int(e.numThreads()), me = Int(e.threadNum())
                    for t in stride(from: me, to: job.tasks, by: max(1, team)) { job.body(t) }
                }, UnsafeMutableRawPointer(job), UInt32(tasks), 0)
            }
        }
    }
}
