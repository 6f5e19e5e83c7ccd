import ArgumentParser
import Foundation
import GPT
import TensorCore

/// `finch bench train`: the training step of `../shared/bench/peer_pytorch.py --mode train-fp32|train-bf16`,
/// on the same batches (the first steps×batch training examples in file order, chapter 7's collate), from the
/// same initialisation scheme (Hugging Face's, seed 123), with AdamW (lr 5e-5, weight decay 0.1 on every
/// parameter). Prints one JSON object with the peer's keys (`median_step_s` over the steps after the first two,
/// `tokens_per_s`, `seq_lens`, `losses`, …) plus `bench`, `precision` and `peak_rss_mb`; with `--peer` also
/// the peer's figures, run in this session, and `ratio` = finch step / peer step.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time GPT-2 training steps on the chapter 7 batches (the peer_pytorch.py workload).")

    @OptionGroup var common: PeerWorkloadOptions

    @Option(help: "Matrix-product precision: fp32, or bf16 (mixed precision, fp32 master weights).")
    var precision: Precision = .fp32

    @Option(help: "Training steps; the first two are warm-up and excluded from the median.")
    var steps = 12

    @Option(help: "Examples per batch.")
    var batch = 8

    func validate() throws {
        guard steps >= 1, batch >= 1 else { throw ValidationError("--steps and --batch must be at least 1") }
    }

    func run() throws {
        let workload = try BenchWorkload(data: common.data)
        guard steps * batch <= workload.train.count else {
            throw ValidationError("--steps × --batch = \(steps * batch) exceeds the \(workload.train.count) training examples")
        }
        let mode = "train-" + precision.rawValue
        // The peer runs first, in its own process, so neither competes with the other for the cores.
        let peerRun = try common.peer.map {
            try workload.runPeer(python: $0, arguments: ["--size", common.size, "--mode", mode, "--steps", String(steps), "--batch", String(batch)])
        }
        let batches = (0..<steps).map { s in
            collate(workload.train[(s * batch)..<((s + 1) * batch)].map(workload.trainingIds))
        }
        let config = try GPTConfig.preset(common.size)
        let model = GPTModel(weights: try GPTWeights.random(config: config, seed: 123))
        let optimizer = AdamW([ParameterGroup(named: model.trainableParameters)], lr: 5e-5, weightDecay: 0.1)
        let trainer = try Trainer(model: model, optimizer: optimizer, precision: precision)
        var times: [Double] = [], losses: [Float] = []
        let profile = ProcessInfo.processInfo.environment["FINCH_PROFILE"] != nil
        if profile { FileHandle.standardError.write(Data("profile: before the first step resident \(Int(residentMB("VmRSS"))) MB\n".utf8)) }
        for b in batches {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let loss = profile ? profiledStep(trainer, b) : trainer.trainStep(b).loss
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
            losses.append(loss)
        }
        let warmUp = times.count > 2 ? 2 : 0
        let steady = Array(times[warmUp...])
        let tokens = batches[warmUp...].reduce(0) { $0 + $1.rows * $1.length }
        let median = BenchTiming.median(steady)
        var fields: [(String, BenchValue)] = [
            ("bench", "train"), ("size", .string(common.size)), ("precision", .string(precision.rawValue)), ("mode", .string(mode)),
            ("threads", .int(DNNLThreading.threadCount)), ("kernel_threads", .int(Parallel.threads)),
            ("steps", .int(steps)), ("batch", .int(batch)),
            ("seq_lens", .array(batches.map { .int($0.length) })),
            ("median_step_s", .number(median, digits: 4)),
            ("tokens_per_s", .number(Double(tokens) / steady.reduce(0, +), digits: 1)),
            ("losses", .array(losses.map { .number(Double($0), digits: 5) })),
            ("peak_rss_mb", .number(peakResidentMB(), digits: 0)),
        ]
        if let (p, rss) = peerRun {
            for key in ["peer", "threads", "median_step_s", "tokens_per_s", "losses"] {
                if let v = p[key] { fields.append((key == "peer" ? key : "peer_" + key, benchValue(v))) }
            }
            fields.append(("peer_peak_rss_mb", .number(rss, digits: 0)))
            if let peerMedian = (p["median_step_s"] as? NSNumber)?.doubleValue {
                fields.append(("ratio", .number(median / peerMedian, digits: 3)))
            }
        }
        BenchOutput.emit(fields)
    }

    /// The same work as `Trainer.trainStep`, phase by phase, with the phases' times on stderr
    /// (`FINCH_PROFILE=1`): forward (including the loss), backward, optimizer (step + zeroing).
    private func profiledStep(_ trainer: Trainer, _ b: TokenBatch) -> Float {
        let faultedBefore = TensorMemory.faultedBytes
        var marks = [DispatchTime.now().uptimeNanoseconds]
        let loss = withPrecision(trainer.precision) { () -> Float in
            let loss = trainer.model.loss(b)
            marks.append(DispatchTime.now().uptimeNanoseconds)
            loss.backward()
            return loss.item
        }
        marks.append(DispatchTime.now().uptimeNanoseconds)
        _ = trainer.accumulator.microBatchFinished(optimizer: trainer.optimizer, schedule: trainer.schedule)
        trainer.microStep += 1
        marks.append(DispatchTime.now().uptimeNanoseconds)
        let ms = (1..<marks.count).map { String(format: "%.0f", Double(marks[$0] - marks[$0 - 1]) / 1e6) }
        FileHandle.standardError.write(Data("profile: T=\(b.length) forward \(ms[0]) ms, backward \(ms[1]) ms, optimizer \(ms[2]) ms, new memory \((TensorMemory.faultedBytes - faultedBefore) >> 20) MiB, resident \(Int(residentMB("VmRSS"))) MB, peak \(Int(peakResidentMB())) MB\n".utf8))
        return loss
    }
}
