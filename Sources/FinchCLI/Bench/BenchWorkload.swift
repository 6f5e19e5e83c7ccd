import ArgumentParser
import Foundation
import GPT
import Stages
import Tokenizers

/// The chapter 7 workload `finch bench train|generate` share with `../shared/bench/peer_pytorch.py`:
/// the dataset in file order, split 85/10/5 (train = the first 935 entries, test = [935, 1045)), Alpaca
/// prompts, GPT-2 BPE from the same folder.
struct BenchWorkload {
    let dataDirectory: URL
    let tokenizer: BPETokenizer
    let train: [InstructionRecord]
    let test: [InstructionRecord]

    /// `data`: the folder holding `gpt2/` and `instruction/` (default $FINCH_SHARED_DATA, else ../shared/data).
    init(data: String?) throws {
        let dir = URL(fileURLWithPath: data ?? ProcessInfo.processInfo.environment["FINCH_SHARED_DATA"] ?? "../shared/data")
        dataDirectory = dir
        let gpt2 = dir.appendingPathComponent("gpt2"), file = dir.appendingPathComponent("instruction/instruction-data.json")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ValidationError("\(file.path) not found; give --data DIR (the folder with gpt2/ and instruction/) or set FINCH_SHARED_DATA")
        }
        tokenizer = try BPETokenizer.load(encoderJSON: gpt2.appendingPathComponent("encoder.json"),
                                          vocabBPE: gpt2.appendingPathComponent("vocab.bpe"))
        let entries = try JSONDecoder().decode([InstructionRecord].self, from: Data(contentsOf: file))
        // int(n * 0.85) and int(n * 0.10), as the chapter and the peer compute them.
        let nTrain = entries.count * 85 / 100, nTest = entries.count * 10 / 100
        train = Array(entries[..<nTrain])
        test = Array(entries[nTrain..<(nTrain + nTest)])
    }

    /// Chapter 7's `format_input`: what the model sees before the answer.
    func prompt(_ r: InstructionRecord) -> String { PromptTemplate.alpaca.prompt(for: r) }

    /// The full training text (prompt + "\n\n### Response:\n" + output); collate appends <|endoftext|>.
    func trainingIds(_ r: InstructionRecord) -> [Int] {
        tokenizer.encode(PromptTemplate.alpaca.prompt(for: r) + PromptTemplate.alpaca.response(for: r))
    }

    /// Runs peer_pytorch.py (beside the data folder, in `../bench/`) with `arguments` and returns its JSON
    /// object plus the peak resident memory of the child in MB.
    func runPeer(python: String, arguments: [String]) throws -> (result: [String: Any], peakRSSMB: Double) {
        let script = dataDirectory.deletingLastPathComponent().appendingPathComponent("bench/peer_pytorch.py")
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw ValidationError("\(script.path) not found; the peer script lives in the bench/ folder beside the data folder")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script.path] + arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let line = String(decoding: out, as: UTF8.self).split(separator: "\n").last,
              let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ValidationError("the peer \(script.path) failed (exit \(p.terminationStatus))")
        }
        // ru_maxrss of waited-for children is the largest of them; the peer is the only child we run.
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        return (obj, Double(usage.ru_maxrss) / 1024)
    }
}

/// Peak resident memory of this process so far (VmHWM), in MB.
func peakResidentMB() -> Double { residentMB("VmHWM") }

/// A memory figure of /proc/self/status in MB: `VmRSS` (now) or `VmHWM` (peak so far); without /proc, the peak.
func residentMB(_ field: String) -> Double {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
       let kb = Double(line.split(separator: " ").dropFirst().first ?? "") {
        return kb / 1024
    }
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// A peer figure as a bench value (numbers as given, arrays element by element).
func benchValue(_ any: Any) -> BenchValue {
    switch any {
    case let i as Int: return .int(i)
    case let d as Double: return .number(d, digits: 5)
    case let s as String: return .string(s)
    case let a as [Any]: return .array(a.map(benchValue))
    default: return .string("\(any)")
    }
}

/// Options `finch bench train` and `finch bench generate` share with the peer workload.
struct PeerWorkloadOptions: ParsableArguments {
    @Option(help: "Model preset: gpt2-small, gpt2-medium, gpt2-large, gpt2-xl.")
    var size = "gpt2-small"

    @Option(help: "Folder with gpt2/ and instruction/ (default: $FINCH_SHARED_DATA, else ../shared/data).")
    var data: String?

    @Option(help: "Python with torch + transformers + tiktoken: also run <data>/../bench/peer_pytorch.py now and report the ratio.")
    var peer: String?

    func validate() throws {
        guard GPTConfig.presets[size] != nil else {
            throw ValidationError("unknown --size '\(size)'; choose from \(GPTConfig.presets.keys.sorted().joined(separator: ", "))")
        }
    }
}
