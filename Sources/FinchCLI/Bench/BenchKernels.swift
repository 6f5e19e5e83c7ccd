import ArgumentParser
import TensorCore

/// Settings every kernel benchmark producer receives.
struct KernelBenchSettings {
    var repetitions: Int
    var minTime: Double
    var precisions: [Precision]
    /// Only cases whose description contains this text (e.g. "lm_head"); producers apply it to their own cases.
    var filter: String?
}

/// A family of kernel benchmarks that prints its own JSON lines through `BenchOutput`.
protocol KernelBenchProducer {
    /// The name `--only` selects it by, and the `"bench"` field of its lines.
    var name: String { get }
    func run(_ settings: KernelBenchSettings)
}

/// `finch bench kernels`: per-kernel throughput, one JSON object per line.
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Benchmark tensor kernels (matrix products, fused kernels); one JSON object per line.")

    /// Every producer, in output order. A new kernel family adds its producer here.
    static let producers: [any KernelBenchProducer] = [
        MatmulBench(),
        SkinnyMatmulBench(),
        FusedKernelBench(),
        ThreadInterplayBench(),
        KernelThreadsBench(),
        OptimizerBench(),
    ]

    @Option(name: .long, help: "Run only these benchmarks (repeatable): \(producers.map(\.name).joined(separator: ", ")).")
    var only: [String] = []

    @Option(name: .long, help: "Precisions to measure where a kernel has several (repeatable): fp32, bf16.")
    var precision: [String] = Precision.allCases.map(\.rawValue)

    @Option(name: .long, help: "Only cases whose role contains this text (e.g. lm_head, dW, attention).")
    var filter: String?

    @Option(name: .long, help: "Timed repetitions per measurement; lines report medians.")
    var repetitions: Int = 5

    @Option(name: .customLong("min-time"), help: "Minimum seconds per repetition (each repeats its call until then).")
    var minTime: Double = 0.2

    func validate() throws {
        let known = Set(Self.producers.map(\.name))
        for name in only where !known.contains(name) {
            throw ValidationError("unknown benchmark '\(name)' in --only; choose from: \(known.sorted().joined(separator: ", "))")
        }
        for name in precision where Precision(rawValue: name) == nil {
            throw ValidationError("unknown precision '\(name)' in --precision; choose from: fp32, bf16")
        }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1 (got \(repetitions))") }
        guard minTime >= 0 else { throw ValidationError("--min-time must not be negative (got \(minTime))") }
    }

    func run() throws {
        let settings = KernelBenchSettings(repetitions: repetitions, minTime: minTime, precisions: precision.compactMap(Precision.init(rawValue:)), filter: filter)
        for producer in Self.producers where only.isEmpty || only.contains(producer.name) {
            producer.run(settings)
        }
    }
}
