import Foundation
import GPT
import TensorCore

/// `finch bench kernels --only optimizer`: one AdamW step over GPT-2 small's 124M parameters, done as
/// separate passes (`gradNorm`, `step()`, `zeroGrad()`, as with clipping) and as the fused pass the
/// training step uses when it does not clip. One line per variant:
/// `{"bench":"optimizer","variant":"separate"|"fused","ms":…,"gb_per_s":…}`, where `gb_per_s` counts the
/// bytes the update must move (parameter, gradient and both moments read; parameter and moments written).
struct OptimizerBench: KernelBenchProducer {
    let name = "optimizer"

    func run(_ settings: KernelBenchSettings) {
        guard let config = try? GPTConfig.preset("gpt2-small") else { return }
        let parameters = ParameterLayout(config: config).entries.map { entry in
            NamedParameter(entry.name, Tensor(shape: entry.shape, repeating: 0.01, requiresGrad: true))
        }
        let count = parameters.reduce(0) { $0 + $1.tensor.count }
        let optimizer = AdamW(parameters, lr: 5e-5, weightDecay: 0.1)
        let variants: [(String, () -> Void)] = [
            ("separate", { _ = gradNorm(parameters.map(\.tensor)); optimizer.step(); optimizer.zeroGrad() }),
            ("fused", { _ = optimizer.stepReportingNormAndZeroing() }),
        ]
        for (variant, body) in variants {
            var times: [Double] = []
            for i in 0...settings.repetitions {
                for p in parameters { p.tensor.grad = p.tensor.grad ?? Tensor(shape: p.tensor.shape, repeating: 0.001) }
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                if i > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
            }
            let ms = BenchTiming.median(times)
            BenchOutput.emit([("bench", "optimizer"), ("variant", .string(variant)), ("parameters", .int(count)),
                              ("threads", .int(Parallel.threads)), ("ms", .number(ms, digits: 1)),
                              ("gb_per_s", .number(Double(count * 28) / (ms * 1e6), digits: 1))])
        }
    }
}
