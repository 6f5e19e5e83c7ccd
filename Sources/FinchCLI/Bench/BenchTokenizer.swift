import ArgumentParser
import Foundation
import Tokenizers

/// `finch bench tokenizer`: GPT-2 load time and single-threaded encode throughput on the chapter 7 text
/// that `../shared/bench/peer_tiktoken.py` measures tiktoken on (same text, same two modes).
struct BenchTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "GPT-2 tokenizer: load time, and encode MB/s over the chapter 7 text (whole, and entry by entry).")

    @Option(help: "Folder with gpt2/ and instruction/ (default: $FINCH_SHARED_DATA, else ../shared/data).")
    var data: String?

    @Option(name: .customLong("repeat"), help: "Copies of the dataset text (as peer_tiktoken.py --repeat).")
    var repeat_: Int = 10

    @Option(help: "Timed runs per mode; the median is reported.")
    var runs: Int = 5

    @Option(help: "Python with tiktoken: also run ../shared/bench/peer_tiktoken.py now and report the ratio.")
    var peer: String?

    func run() throws {
        let dataDir = URL(fileURLWithPath: data ?? ProcessInfo.processInfo.environment["FINCH_SHARED_DATA"] ?? "../shared/data")
        let encoder = dataDir.appendingPathComponent("gpt2/encoder.json"), merges = dataDir.appendingPathComponent("gpt2/vocab.bpe")

        var loadTimes: [Double] = [], cpuTimes: [Double] = []
        var tok: BPETokenizer!
        for _ in 0..<max(runs, 1) {
            let t0 = DispatchTime.now().uptimeNanoseconds, c0 = threadCPUMilliseconds()
            tok = try BPETokenizer.load(encoderJSON: encoder, vocabBPE: merges)
            loadTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            cpuTimes.append(threadCPUMilliseconds() - c0)
        }
        // Wall time is what the issue bounds; CPU time shows how much of it a busy machine added.
        BenchOutput.emit([("bench", "tokenizer"), ("mode", "load"), ("cpu_ms", .number(median(cpuTimes), digits: 2)),
                          ("first_ms", .number(loadTimes[0], digits: 2)), ("ms", .number(median(loadTimes), digits: 2))])

        let entries = try alpacaEntries(dataDir.appendingPathComponent("instruction/instruction-data.json"))
        let repeated = Array(repeating: entries, count: repeat_).flatMap { $0 }
        let whole = repeated.joined(separator: "\n")
        let bytes = whole.utf8.count
        let peerResult = try peer.map { try runPeer(python: $0, dataDir: dataDir) }

        let modes: [(String, () -> Int)] = [
            ("whole", { tok.encodeIds(whole).count }),
            ("entries", { repeated.reduce(0) { $0 + tok.encodeIds($1).count } }),
        ]
        for (mode, body) in modes {
            var times: [Double] = []
            var tokens = 0
            for _ in 0..<max(runs, 1) {
                tok.clearCache()  // every run starts cold: the word cache is filled within the run only
                let t0 = DispatchTime.now().uptimeNanoseconds
                tokens = body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            let mbps = Double(bytes) / median(times) / 1e6
            var line: [(String, BenchValue)] = [("bench", "tokenizer"), ("mode", .string(mode)), ("bytes", .int(bytes)),
                                                ("mb_per_s", .number(mbps, digits: 2))]
            if let p = peerResult?[mode] as? [String: Any], let peerMBps = p["MB_per_s"] as? Double {
                line.append(("peer_mb_per_s", .number(peerMBps, digits: 2)))
                if let peerTokens = p["tokens"] as? Int { line.append(("peer_tokens", .int(peerTokens))) }
                line.append(("ratio", .number(mbps / peerMBps, digits: 2)))
            }
            line.append(("tokens", .int(tokens)))
            BenchOutput.emit(line)
        }
    }

    private func alpacaEntries(_ url: URL) throws -> [String] {
        struct Entry: Decodable { var instruction: String; var input: String; var output: String }
        let entries = try JSONDecoder().decode([Entry].self, from: Data(contentsOf: url))
        return entries.map { e in
            var t = "Below is an instruction that describes a task. Write a response that appropriately "
                + "completes the request.\n\n### Instruction:\n" + e.instruction
            if !e.input.isEmpty { t += "\n\n### Input:\n" + e.input }
            return t + "\n\n### Response:\n" + e.output
        }
    }

    /// Runs the tiktoken peer in this same session so the ratio compares like with like.
    private func runPeer(python: String, dataDir: URL) throws -> [String: Any] {
        let script = dataDir.deletingLastPathComponent().appendingPathComponent("bench/peer_tiktoken.py")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script.path, "--repeat", String(repeat_), "--runs", String(runs)]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let obj = try JSONSerialization.jsonObject(with: out) as? [String: Any] else {
            throw ValidationError("the peer \(script.path) failed (exit \(p.terminationStatus))")
        }
        return obj
    }

    private func threadCPUMilliseconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
    }

    private func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
