import Foundation

/// The one place that decides how element-wise kernels use threads.
///
/// Kernels split work into contiguous ranges of independent items (rows, columns, heads) and never
/// reduce across ranges, so results are bit-identical for any thread count.
///
/// Default: 1 thread. Why (measured with the release build, GPT-2 small shapes, on the 2-core
/// Sapphire Rapids machine while other builds kept its load average near 5.5, so figures are rough):
/// - kernels alone, 2 threads vs 1: GELU forward 15.3 -> 10.8 ms, cross-entropy forward
///   106 -> 67 ms, layer norm unchanged (too small to split);
/// - a oneDNN sgemm (GNU OpenMP, default spinning wait policy) followed at once by GELU
///   forward+backward, as in a training step: 2 threads were 1.6–2.1x slower in one run
///   (69 -> 110 ms, 66 -> 141 ms) and 1.03–1.16x faster in the next; with OMP_WAIT_POLICY=passive
///   2 threads were 1.06–1.3x faster.
/// One thread cannot fight OpenMP's spinning workers for the second core, the fused kernels are a
/// small share of a step, and the worst case above is bad, so 1 is the safe default until a quiet
/// machine with the oneDNN matmul in place says otherwise (`fusedKernelThreadingBenchmarks` in
/// `finch bench` re-runs that measurement). Override with the environment variable
/// `FINCH_KERNEL_THREADS` or by setting `threads` at start-up.
public enum Parallel {
    /// Worker count for element-wise kernels. Setting it is not synchronised: do it at start-up.
    nonisolated(unsafe) public static var threads: Int = {
        if let s = ProcessInfo.processInfo.environment["FINCH_KERNEL_THREADS"], let n = Int(s), n >= 1 { return n }
        return 1
    }()

    /// Scoped override (tests, benchmarks): run `body` with `threads` workers; `splitSmallWork` splits
    /// even tiny loops so small test shapes exercise the threaded paths. Task-local, so concurrent
    /// tests do not see each other's setting.
    public static func with<R>(threads: Int, splitSmallWork: Bool = false, _ body: () throws -> R) rethrows -> R {
        try $override.withValue(Override(threads: max(1, threads), splitSmallWork: splitSmallWork), operation: body)
    }

    struct Override: Sendable { var threads: Int; var splitSmallWork: Bool }
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
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: tasks) { t in
                let lo = count * t / tasks, hi = count * (t + 1) / tasks
                if lo < hi { body(lo..<hi) }
            }
        }
    }
}
