import Foundation
import TensorCore

/// How oneDNN's OpenMP threads and Finch's own worker threads share the cores: alternates a matmul with
/// element-wise work (on the calling thread, then split over two GCD workers) and times each phase.
/// GNU OpenMP reads `OMP_WAIT_POLICY`/`GOMP_SPINCOUNT` when it loads, before `main`, so compare policies
/// by running the command under different environments; each line records the policy it ran with.
struct ThreadInterplayBench: KernelBenchProducer {
    let name = "omp_interplay"

    func run(_ settings: KernelBenchSettings) {
        let (m, k, n) = (544, 768, 768)
        let elements = 1 << 18
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k), b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n), x = UnsafeMutablePointer<Float>.allocate(capacity: elements)
        defer { a.deallocate(); b.deallocate(); c.deallocate(); x.deallocate() }
        var rng = RNG(seed: 3)
        for i in 0..<(m * k) { a[i] = rng.normal() }
        for i in 0..<(k * n) { b[i] = rng.normal() }
        x.initialize(repeating: 0.5, count: elements)

        /// tanh over a slice: a stand-in for an element-wise kernel (~1 ms on one core).
        func elementwise(_ range: Range<Int>) {
            for i in range { x[i] = tanh(x[i] * 0.5 + 0.1) }
        }
        let waitPolicy = ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] ?? "default"
        let spinCount = ProcessInfo.processInfo.environment["GOMP_SPINCOUNT"] ?? "default"
        for workers in [1, 2] {
            var matmulTimes: [Double] = [], elementTimes: [Double] = []
            for _ in 0..<settings.repetitions {
                var tm = 0.0, te = 0.0
                let iterations = 20
                for _ in 0..<iterations {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    matmul(a, b, c, m: m, n: n, k: k)
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    if workers == 1 {
                        elementwise(0..<elements)
                    } else {
                        DispatchQueue.concurrentPerform(iterations: workers) { w in
                            elementwise(w * elements / workers..<(w + 1) * elements / workers)
                        }
                    }
                    let t2 = DispatchTime.now().uptimeNanoseconds
                    tm += Double(t1 - t0) * 1e-6
                    te += Double(t2 - t1) * 1e-6
                }
                matmulTimes.append(tm / Double(iterations))
                elementTimes.append(te / Double(iterations))
            }
            BenchOutput.emit([
                ("bench", "omp_interplay"), ("m", .int(m)), ("k", .int(k)), ("n", .int(n)),
                ("elementwise_threads", .int(workers)), ("elements", .int(elements)),
                ("matmul_ms", .number(BenchTiming.median(matmulTimes), digits: 3)),
                ("elementwise_ms", .number(BenchTiming.median(elementTimes), digits: 3)),
                ("threads", .int(DNNLThreading.threadCount)), ("omp_wait_policy", .string(waitPolicy)),
                ("gomp_spincount", .string(spinCount)), ("reps", .int(settings.repetitions)),
            ])
        }
    }
}
