import Foundation
import Testing
@testable import TensorCore

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/adamw")

private struct AdamWFixture: Decodable {
    struct Group: Decodable { let names: [String]; let weight_decay: Double? }
    struct Schedule: Decodable { let peak_lr: Double; let warmup_steps: Int; let total_steps: Int; let min_lr_ratio: Double }
    struct Step: Decodable {
        let lr: Double
        let grads, params, exp_avg, exp_avg_sq: [String: [Float]]
    }
    let betas: [Double]; let eps: Double; let weight_decay: Double
    let schedule: Schedule
    let groups: [Group]
    let shapes: [String: [Int]]
    let initial: [String: [Float]]
    let steps: [Step]
}

private struct SGDFixture: Decodable {
    struct Config: Decodable { let lr, momentum, dampening, weight_decay: Double; let nesterov: Bool }
    struct Step: Decodable { let grads, params: [String: [Float]] }
    struct Case: Decodable { let config: Config; let shapes: [String: [Int]]; let initial: [String: [Float]]; let steps: [Step] }
    let cases: [Case]
}

private struct ClipFixture: Decodable {
    struct Case: Decodable {
        let max_norm: Double; let shapes: [String: [Int]]; let grads: [String: [Float]]; let norm: Float
        let clipped: [String: [Float]]
    }
    let cases: [Case]
}

private func load<T: Decodable>(_ name: String, as: T.Type) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(contentsOf: fixtures.appendingPathComponent(name)))
}

/// Largest |a-b| / max(|b|, 1e-6) over the arrays (relative error with a floor for values near zero).
private func maxRelativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { Double(abs($0 - $1)) / max(Double(abs($1)), 1e-6) }.max() ?? 0
}

private func copy(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, values: t.toArray()) }

@Suite struct OptimizerTests {
    @Test func adamWMatchesTorchWithGroupsAndScheduledLR() throws {
        let f = try load("adamw.json", as: AdamWFixture.self)
        let tensors = f.shapes.mapValues { _ in Tensor(zeros: []) }.keys.reduce(into: [String: Tensor]()) {
            $0[$1] = Tensor(shape: f.shapes[$1]!, values: f.initial[$1]!)
        }
        let groups = f.groups.map { g in ParameterGroup(g.names.map { NamedParameter($0, tensors[$0]!) }, weightDecay: g.weight_decay) }
        let opt = AdamW(groups, lr: 0, betas: (f.betas[0], f.betas[1]), eps: f.eps, weightDecay: f.weight_decay)
        let schedule = try LRSchedule(ScheduleConfig(kind: .cosine, warmupSteps: f.schedule.warmup_steps,
                                                     minLRRatio: f.schedule.min_lr_ratio),
                                      peakLR: f.schedule.peak_lr, totalSteps: f.schedule.total_steps)
        var worst = 0.0
        for (i, step) in f.steps.enumerated() {
            #expect(abs(schedule.lr(at: i) - step.lr) <= 1e-15 * step.lr)
            schedule.apply(to: opt, step: i)
            for (name, t) in tensors { t.grad = Tensor(shape: t.shape, values: step.grads[name]!) }
            opt.step()
            for (name, t) in tensors {
                let s = try #require(opt.state[name])
                #expect(s.step == i + 1)
                worst = max(worst, maxRelativeError(t.toArray(), step.params[name]!),
                            maxRelativeError(s.expAvg.toArray(), step.exp_avg[name]!),
                            maxRelativeError(s.expAvgSq.toArray(), step.exp_avg_sq[name]!))
            }
        }
        print("AdamW vs torch.optim.AdamW, 3 steps: max relative error \(worst)")
        #expect(worst < 1e-6)
    }

    @Test func adamWFirstStepByHand() {
        // Step 1: m = (1-β1)g, v = (1-β2)g², m̂ = g, v̂ = g², so p ← p(1 - lr·wd) - lr·g/(|g| + eps).
        let p = Tensor(shape: [2], values: [1.5, -2], requiresGrad: true)
        p.grad = Tensor(shape: [2], values: [0.25, -4])
        let opt = AdamW([NamedParameter("p", p)], lr: 0.01, weightDecay: 0.1)
        opt.step()
        let expected: [Double] = [1.5 * (1 - 0.001) - 0.01 * 0.25 / (0.25 + 1e-8), -2 * (1 - 0.001) + 0.01 * 4 / (4 + 1e-8)]
        for (a, b) in zip(p.toArray(), expected) { #expect(abs(Double(a) - b) < 1e-6) }
    }

    @Test func parametersWithoutGradientsAreSkipped() {
        let a = Tensor(shape: [2], values: [1, 2]), b = Tensor(shape: [2], values: [3, 4])
        a.grad = Tensor(shape: [2], values: [1, 1])
        let opt = AdamW([NamedParameter("a", a), NamedParameter("b", b)], lr: 0.1)
        opt.step()
        #expect(b.toArray() == [3, 4])
        #expect(opt.state["b"] == nil)
        #expect(a.toArray() != [1, 2])
    }

    @Test func sgdMatchesTorch() throws {
        let f = try load("sgd.json", as: SGDFixture.self)
        for c in f.cases {
            let tensors = Dictionary(uniqueKeysWithValues: c.shapes.map { ($0.key, Tensor(shape: $0.value, values: c.initial[$0.key]!)) })
            let opt = SGD([ParameterGroup(tensors.sorted { $0.key < $1.key }.map { NamedParameter($0.key, $0.value) })],
                          lr: c.config.lr, momentum: c.config.momentum, dampening: c.config.dampening,
                          nesterov: c.config.nesterov, weightDecay: c.config.weight_decay)
            var worst = 0.0
            for step in c.steps {
                for (name, t) in tensors { t.grad = Tensor(shape: t.shape, values: step.grads[name]!) }
                opt.step()
                for (name, t) in tensors { worst = max(worst, maxRelativeError(t.toArray(), step.params[name]!)) }
            }
            #expect(worst < 1e-6, "SGD \(c.config): max relative error \(worst)")
        }
    }

    @Test func sgdMomentumByHand() {
        // buf1 = g1, p1 = p0 - lr·g1; buf2 = μ·g1 + g2, p2 = p1 - lr·buf2.
        let p = Tensor(shape: [1], values: [1])
        let opt = SGD([ParameterGroup([NamedParameter("p", p)])], lr: 0.5, momentum: 0.9)
        p.grad = Tensor(shape: [1], values: [2]); opt.step()
        #expect(p.toArray() == [0])
        p.grad = Tensor(shape: [1], values: [-1]); opt.step()
        #expect(abs(p.toArray()[0] - (0 - 0.5 * (0.9 * 2 - 1))) < 1e-7)
    }

    @Test func clipGradNormMatchesTorch() throws {
        let f = try load("clip.json", as: ClipFixture.self)
        for c in f.cases {
            let tensors = c.shapes.keys.sorted().map { name -> (String, Tensor) in
                let t = Tensor(zeros: c.shapes[name]!)
                t.grad = Tensor(shape: c.shapes[name]!, values: c.grads[name]!)
                return (name, t)
            }
            let norm = clipGradNorm(tensors.map(\.1), maxNorm: c.max_norm)
            #expect(abs(norm - c.norm) <= 1e-6 * c.norm)
            for (name, t) in tensors { #expect(maxRelativeError(t.grad!.toArray(), c.clipped[name]!) < 1e-6) }
        }
    }

    /// Large tensors are updated in chunks on several threads; the result must not depend on how many.
    @Test func adamWChunkedUpdateIsIdenticalForAnyThreadCount() {
        let count = 300_003  // above the chunking threshold, not a multiple of the lane width
        var rng = RNG(seed: 11)
        let initial = (0..<count).map { _ in rng.normal() }
        let gradient = (0..<count).map { _ in rng.normal() * 0.1 }
        func run(threads: Int, useOpenMP: Bool = true) -> [Float] {
            Parallel.with(threads: threads, useOpenMP: useOpenMP) { update() }
        }
        func update() -> [Float] {
            let p = Tensor(shape: [count], values: initial, requiresGrad: true)
            let opt = AdamW([NamedParameter("w", p)], lr: 1e-3, weightDecay: 0.1)
            for _ in 0..<2 {
                p.grad = Tensor(shape: [count], values: gradient)
                opt.step()
            }
            return p.toArray()
        }
        let one = run(threads: 1)
        #expect(one != initial)
        for threads in [2, 3, 4] { #expect(run(threads: threads) == one, "\(threads) threads") }
        #expect(run(threads: 2, useOpenMP: false) == one)
    }

    /// The fused pass (norm, update, zeroing per chunk) must equal `gradNorm`, `step()` and `zeroGrad()`
    /// bit for bit, on tensors of one chunk, many chunks with a ragged end, and one without a gradient.
    @Test func adamWFusedStepEqualsSeparatePasses() {
        let sizes = [5, 70_001, 300_003]
        func run(fused: Bool) -> (norms: [Float], values: [[Float]], grads: [[Float]]) {
            var rng = RNG(seed: 5)
            let tensors = sizes.map { n in Tensor(shape: [n], values: (0..<n).map { _ in rng.normal() }, requiresGrad: true) }
            let frozen = Tensor(shape: [3], values: [1, 2, 3], requiresGrad: true)
            let named = tensors.enumerated().map { NamedParameter("p\($0.offset)", $0.element) } + [NamedParameter("frozen", frozen)]
            let opt = AdamW(named, lr: 1e-3, weightDecay: 0.1)
            var norms: [Float] = []
            for _ in 0..<2 {
                for t in tensors { t.grad = Tensor(shape: t.shape, values: (0..<t.count).map { _ in rng.normal() * 0.1 }) }
                if fused {
                    norms.append(opt.stepReportingNormAndZeroing())
                } else {
                    norms.append(gradNorm(tensors))
                    opt.step()
                    opt.zeroGrad()
                }
            }
            let state = opt.exportState().tensors
            let moments = state.keys.sorted().map { state[$0]!.toArray() }
            return (norms, tensors.map { $0.toArray() } + moments + [frozen.toArray()], tensors.map { $0.grad!.toArray() })
        }
        let separate = run(fused: false), fused = run(fused: true)
        #expect(separate.norms[0] > 0)
        #expect(fused.norms == separate.norms)
        #expect(fused.values == separate.values)
        #expect(fused.grads == separate.grads)
        #expect(fused.grads.allSatisfy { $0.allSatisfy { $0 == 0 } })
    }

    @Test func lanesFusedMultiplyAddRoundsOnce() {
        var rng = RNG(seed: 11)
        for _ in 0..<1_000 {
            let a = Lanes((0..<8).map { _ in rng.normal() }), b = Lanes((0..<8).map { _ in rng.normal() * 1e-3 })
            let c = Lanes((0..<8).map { _ in rng.normal() })
            let fused = fusedMultiplyAdd(a, b, c)
            for k in 0..<8 {
                // The exact product plus c, rounded once from Double (a Float product is exact in Double).
                let exact = Double(a[k]) * Double(b[k]) + Double(c[k])
                #expect(abs(Double(fused[k]) - exact) <= Double(fused[k].ulp) / 2)
            }
        }
        // (1+2⁻¹²)² − 1 = 2⁻¹¹ + 2⁻²⁴ only when the product is not rounded first.
        let x = Lanes(repeating: 1 + 0x1p-12)
        #expect(fusedMultiplyAdd(x, x, Lanes(repeating: -1)) == Lanes(repeating: 0x1p-11 + 0x1p-24))
        #expect(x * x - 1 == Lanes(repeating: 0x1p-11))
    }

    @Test func vectorSquaredSumMatchesReference() {
        var rng = RNG(seed: 3)
        for count in [0, 1, 7, 63, 64, 65, 1000, 4099] {
            let t = Tensor(shape: [count], values: (0..<count).map { _ in rng.normal() * 3 })
            let fast = squaredSum(t.data, count), reference = squaredSumReference(t.data, count)
            #expect(abs(fast - reference) <= 1e-6 * max(reference, 1e-30), "count \(count)")
        }
    }

    @Test func clipGradNormByHand() {
        let a = Tensor(zeros: [2]), b = Tensor(zeros: [1]), noGrad = Tensor(zeros: [3])
        a.grad = Tensor(shape: [2], values: [3, 0]); b.grad = Tensor(shape: [1], values: [4])
        #expect(clipGradNorm([a, b, noGrad], maxNorm: 1) == 5)
        let k = Float(1) / (5 + 1e-6)
        #expect(a.grad!.toArray() == [3 * k, 0])
        #expect(b.grad!.toArray() == [4 * k])
        #expect(noGrad.grad == nil)
        // Below the threshold nothing changes.
        a.grad = Tensor(shape: [2], values: [0.3, 0.4])
        #expect(abs(clipGradNorm([a], maxNorm: 1) - 0.5) < 1e-7)
        #expect(a.grad!.toArray() == [0.3, 0.4])
    }

    @Test func accumulationAveragesMicroBatchesAndStepsOnce() throws {
        let g1: [Float] = [0.5, -1, 2], g2: [Float] = [1.5, 3, -0.5]
        let p = Tensor(shape: [3], values: [1, 2, 3]), reference = copy(p)
        let opt = AdamW([NamedParameter("p", p)], lr: 0.01)
        let refOpt = AdamW([NamedParameter("p", reference)], lr: 0.01)
        var accumulator = try GradientAccumulator(microBatches: 2)
        p.grad = Tensor(shape: [3], values: g1)                       // first backward
        let early = accumulator.microBatchFinished(optimizer: opt)
        #expect(early == nil)
        #expect(opt.stepCount == 0 && p.toArray() == [1, 2, 3])
        for i in 0..<3 { p.grad!.data[i] += g2[i] }                     // second backward accumulates
        let stepped = accumulator.microBatchFinished(optimizer: opt)
        let norm = try #require(stepped)
        #expect(opt.stepCount == 1 && accumulator.pending == 0)
        #expect(p.grad!.toArray() == [0, 0, 0])
        let mean = zip(g1, g2).map { ($0 + $1) / 2 }
        #expect(abs(Double(norm) - sqrt(mean.map { Double($0 * $0) }.reduce(0, +))) < 1e-6)
        reference.grad = Tensor(shape: [3], values: mean)
        refOpt.step()
        #expect(p.toArray() == reference.toArray())
        // A short final group averages over what it has.
        p.grad = Tensor(shape: [3], values: g1)
        _ = accumulator.microBatchFinished(optimizer: opt)
        let flushed = accumulator.flush(optimizer: opt), again = accumulator.flush(optimizer: opt)
        #expect(flushed != nil && opt.stepCount == 2)
        #expect(again == nil)
        #expect(throws: OptimizerError.self) { try GradientAccumulator(microBatches: 0) }
    }

    @Test func accumulatorClipsAndFollowsSchedule() throws {
        let p = Tensor(shape: [2], values: [0, 0])
        let opt = SGD([ParameterGroup([NamedParameter("p", p)])], lr: 1)
        let schedule = try LRSchedule(ScheduleConfig(kind: .warmup, warmupSteps: 4), peakLR: 1, totalSteps: 10)
        var accumulator = try GradientAccumulator(microBatches: 1, maxGradNorm: 1)
        p.grad = Tensor(shape: [2], values: [30, 40])
        let norm = accumulator.microBatchFinished(optimizer: opt, schedule: schedule)
        #expect(norm == 50)
        #expect(opt.lr == 0.25)
        let k = Float(1) / (50 + 1e-6)
        #expect(p.toArray() == [-0.25 * (30 * k), -0.25 * (40 * k)])
    }

    @Test func zeroGradKeepsOrDropsBuffers() {
        let p = Tensor(zeros: [2])
        p.grad = Tensor(shape: [2], values: [1, 2])
        let opt = AdamW([NamedParameter("p", p)])
        let buffer = p.grad
        opt.zeroGrad()
        #expect(p.grad === buffer && p.grad!.toArray() == [0, 0])
        opt.zeroGrad(setToNone: true)
        #expect(p.grad == nil)
    }

    /// Runs `steps` steps with deterministic pseudo-random gradients starting at step index `from`.
    private func run(_ opt: Optimizer, _ params: [Tensor], from: Int, steps: Int) {
        for s in from..<(from + steps) {
            for (j, p) in params.enumerated() {
                p.grad = Tensor(shape: p.shape, values: (0..<p.count).map { Float(sin(Double(s * 31 + j * 7 + $0))) })
            }
            opt.step()
        }
    }

    @Test(arguments: ["adamw", "sgd"])
    func checkpointResumeIsBitIdentical(kind: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("finch-opt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = OptimizerConfig(kind: kind == "adamw" ? .adamw : .sgd, lr: 1e-2, momentum: kind == "sgd" ? 0.9 : 0)
        func model() -> [Tensor] {
            [Tensor(shape: [3, 4], values: (0..<12).map { Float($0) / 7 }), Tensor(shape: [4], values: [1, -1, 0.5, 2])]
        }
        func named(_ ts: [Tensor]) -> [NamedParameter] { [NamedParameter("w", ts[0]), NamedParameter("b", ts[1])] }

        let straight = model()
        let straightOpt = try config.makeOptimizer(ParameterGroup.decayAndNoDecay(named(straight)))
        run(straightOpt, straight, from: 0, steps: 5)

        let first = model()
        let firstOpt = try config.makeOptimizer(ParameterGroup.decayAndNoDecay(named(first)))
        run(firstOpt, first, from: 0, steps: 2)
        try SafetensorsWriter.write(["w": first[0], "b": first[1]], to: dir.appendingPathComponent("model.safetensors"))
        try firstOpt.saveState(to: dir.appendingPathComponent("optimizer.safetensors"))

        let weights = try SafetensorsFile(url: dir.appendingPathComponent("model.safetensors"))
        let resumed = [try weights.tensor("w"), try weights.tensor("b")]
        let resumedOpt = try config.makeOptimizer(ParameterGroup.decayAndNoDecay(named(resumed)))
        try resumedOpt.loadState(from: dir.appendingPathComponent("optimizer.safetensors"))
        #expect(resumedOpt.stepCount == 2)
        run(resumedOpt, resumed, from: 2, steps: 3)
        for (a, b) in zip(straight, resumed) {
            #expect(a.toArray().map(\.bitPattern) == b.toArray().map(\.bitPattern))
        }
        let s1 = straightOpt.exportState(), s2 = resumedOpt.exportState()
        #expect(s1.metadata == s2.metadata)
        #expect(Set(s1.tensors.keys) == Set(s2.tensors.keys))
        for (k, t) in s1.tensors { #expect(t.toArray().map(\.bitPattern) == s2.tensors[k]!.toArray().map(\.bitPattern)) }
    }

    @Test func loadingStateIntoTheWrongOptimizerOrModelFails() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("finch-opt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("optimizer.safetensors")
        let p = Tensor(zeros: [2, 2])
        p.grad = Tensor(shape: [2, 2], repeating: 1)
        let adam = AdamW([NamedParameter("w", p)])
        adam.step()
        try adam.saveState(to: url)

        let sgd = SGD([ParameterGroup([NamedParameter("w", p)])])
        #expect(throws: OptimizerError.stateKindMismatch(file: url.path, found: "adamw", expected: "sgd")) { try sgd.loadState(from: url) }
        let other = AdamW([NamedParameter("w", Tensor(zeros: [4]))])
        #expect(throws: OptimizerError.stateShapeMismatch(file: url.path, name: "w", found: [2, 2], expected: [4])) {
            try other.loadState(from: url)
        }
        let renamed = AdamW([NamedParameter("v", Tensor(zeros: [2, 2]))])
        #expect(throws: OptimizerError.stateUnknownParameter(file: url.path, name: "w")) { try renamed.loadState(from: url) }
        let notState = dir.appendingPathComponent("weights.safetensors")
        try SafetensorsWriter.write(["w": p], to: notState)
        do {
            try adam.loadState(from: notState)
            Issue.record("loading a weights file as optimizer state should fail")
        } catch let error as OptimizerError {
            #expect(error.localizedDescription.contains("weights.safetensors"))
        }
    }

    @Test func configDecodesPipelineSpellingWithDefaults() throws {
        let json = #"{"kind": "adamw", "lr": 5.0e-5, "weight_decay": 0.1, "betas": [0.9, 0.999]}"#
        let c = try JSONDecoder().decode(OptimizerConfig.self, from: Data(json.utf8))
        #expect(c == OptimizerConfig(kind: .adamw, lr: 5e-5, weightDecay: 0.1, betas: [0.9, 0.999]))
        let d = try JSONDecoder().decode(OptimizerConfig.self, from: Data("{}".utf8))
        #expect(d.kind == .adamw && d.lr == 5e-5 && d.effectiveWeightDecay == 0.1 && d.eps == 1e-8 && d.betas == [0.9, 0.999])
        let adam = try #require(try d.makeOptimizer([ParameterGroup([])]) as? AdamW)
        #expect(adam.weightDecay == 0.1 && adam.beta1 == 0.9 && adam.beta2 == 0.999)
        let s = try JSONDecoder().decode(OptimizerConfig.self, from: Data(#"{"kind": "sgd", "momentum": 0.9}"#.utf8))
        #expect(s.effectiveWeightDecay == 0)
        #expect(try s.makeOptimizer([]) is SGD)
        let round = try JSONDecoder().decode(OptimizerConfig.self, from: JSONEncoder().encode(c))
        #expect(round == c)
    }

    @Test func invalidConfigsAreRejectedWithTheSettingNamed() {
        let cases: [(OptimizerConfig, String)] = [
            (OptimizerConfig(lr: -1), "optimizer.lr"),
            (OptimizerConfig(betas: [0.9]), "optimizer.betas"),
            (OptimizerConfig(betas: [0.9, 1.0]), "optimizer.betas[1]"),
            (OptimizerConfig(weightDecay: -0.1), "optimizer.weight_decay"),
            (OptimizerConfig(kind: .sgd, nesterov: true), "optimizer.nesterov"),
        ]
        for (config, name) in cases {
            do {
                try config.validate()
                Issue.record("\(config) should be invalid")
            } catch {
                #expect(error.localizedDescription.contains("'\(name)'"), "\(error.localizedDescription)")
            }
        }
    }
}
