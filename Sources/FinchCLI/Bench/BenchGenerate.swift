import ArgumentParser
import Foundation
import GPT
import TensorCore

/// `finch bench generate`: greedy decoding with the KV cache, as `../shared/bench/peer_pytorch.py --mode
/// generate` runs it: the first `--prompts` test prompts (Alpaca format, test split = entries [935, 1045)),
/// exactly `--new-tokens` new tokens each (no stop token), from a randomly initialised model (seed 123).
/// `--batch 1` continues the prompts one at a time as the peer does; `--batch 8` passes 8 prompts to one
/// batched call. `--precision bf16` keeps the per-token steps' weights in bf16 (the peer runs fp32).
/// `tokens_per_s` = generated tokens / (building the decode-weight snapshot, `prepare_s`, + the generate
/// calls); `decode_weights_mb` is the snapshot's size.
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Time greedy generation with a KV cache (the peer_pytorch.py generate workload).")

    @OptionGroup var common: PeerWorkloadOptions

    @Option(help: "Test prompts to continue.")
    var prompts = 8

    @Option(name: .customLong("new-tokens"), help: "Tokens generated per prompt (exactly; no stop token).")
    var newTokens = 64

    @Option(help: "Prompts per generate call (left-padded together).")
    var batch = 1

    @Option(help: "Weights of the per-token steps: fp32 or bf16 (prompts always run in fp32).")
    var precision: Precision = .fp32

    func validate() throws {
        guard prompts >= 1, newTokens >= 1, batch >= 1 else {
            throw ValidationError("--prompts, --new-tokens and --batch must be at least 1")
        }
    }

    func run() throws {
        let workload = try BenchWorkload(data: common.data)
        guard prompts <= workload.test.count else {
            throw ValidationError("--prompts \(prompts) exceeds the \(workload.test.count) test examples")
        }
        let peerRun = try common.peer.map {
            try workload.runPeer(python: $0, arguments: ["--size", common.size, "--mode", "generate", "--prompts", String(prompts),
                                                          "--new-tokens", String(newTokens)])
        }
        let ids = workload.test.prefix(prompts).map { workload.tokenizer.encode(workload.prompt($0)) }
        let model = GPTModel(weights: try GPTWeights.random(config: try GPTConfig.preset(common.size), seed: 123))
        let options = GenerationOptions(maxNewTokens: newTokens, temperature: 0, stopToken: nil, precision: precision)
        // One decode snapshot serves every call, as in the generate stage; building it counts as generation time.
        let p0 = DispatchTime.now().uptimeNanoseconds
        let decode = DecodeWeights(model: model, precision: precision)
        let prepare = Double(DispatchTime.now().uptimeNanoseconds - p0) * 1e-9
        var times: [Double] = [], generated = 0
        for start in stride(from: 0, to: ids.count, by: batch) {
            let group = Array(ids[start..<min(start + batch, ids.count)])
            let t0 = DispatchTime.now().uptimeNanoseconds
            let out = model.generate(group, options: options, firstIndex: start, decodeWeights: decode)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
            generated += out.reduce(0) { $0 + $1.count }
        }
        let tokensPerSecond = Double(generated) / (prepare + times.reduce(0, +))
        var fields: [(String, BenchValue)] = [
            ("bench", "generate"), ("size", .string(common.size)), ("mode", "generate"), ("precision", .string(precision.rawValue)),
            ("threads", .int(DNNLThreading.threadCount)), ("kernel_threads", .int(Parallel.threads)),
            ("prompts", .int(prompts)), ("new_tokens", .int(newTokens)), ("batch", .int(batch)),
            ("prompt_lens", .array(ids.map { .int($0.count) })), ("generated_tokens", .int(generated)),
            ("tokens_per_s", .number(tokensPerSecond, digits: 1)),
            ("median_call_s", .number(BenchTiming.median(times), digits: 4)),
            ("prepare_s", .number(prepare, digits: 4)), ("decode_weights_mb", .number(Double(decode.bytes) / 1e6, digits: 0)),
            ("peak_rss_mb", .number(peakResidentMB(), digits: 0)),
        ]
        if let (p, rss) = peerRun {
            for key in ["peer", "threads", "tokens_per_s", "median_prompt_s"] {
                if let v = p[key] { fields.append((key == "peer" ? key : "peer_" + key, benchValue(v))) }
            }
            fields.append(("peer_peak_rss_mb", .number(rss, digits: 0)))
            if let peerRate = (p["tokens_per_s"] as? NSNumber)?.doubleValue {
                fields.append(("ratio", .number(tokensPerSecond / peerRate, digits: 3)))
            }
        }
        BenchOutput.emit(fields)
    }
}
