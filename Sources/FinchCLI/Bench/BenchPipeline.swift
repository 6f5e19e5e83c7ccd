import ArgumentParser
import Foundation
import Pipeline

/// `finch bench pipeline`: a fully cached pipeline must rerun (and plan) in well under a second,
/// however large its objects, because nothing re-reads artifacts. Builds a chain of `--stages`
/// stages that write `--megabytes` MB each (default 10 × 205 MB ≈ 2 GB) in a temporary cache,
/// runs it once, then times cached runs in a fresh `finch` process (wall time, process start
/// included) and in-process cached runs and plans. Prints one JSON object per line (medians).
struct BenchPipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Time a no-op rerun and plan of a fully cached pipeline with large objects.")

    @Option(help: "Stages in the chain.") var stages = 10
    @Option(help: "Megabytes (10^6 bytes) each stage writes.") var megabytes = 205
    @Option(help: "Timed repetitions (the median is reported).") var repeats = 5
    @Option(help: "Work directory (default: a new temporary directory, removed afterwards).") var dir: String?
    @Option(help: ArgumentHelp(visibility: .hidden)) var cachedRunOnly: String?

    /// Writes `bytes` bytes in 8 MB chunks; the content depends on the stage's index.
    struct BlobKind: StageKind {
        struct Configuration: StageConfiguration {
            var bytes: Int
            var index: Int
            var after: StageRef?
            enum CodingKeys: String, CodingKey { case bytes, index, after }
            init(from decoder: Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                bytes = try c.value(.bytes, default: 0)
                index = try c.value(.index, default: 0)
                after = try c.decodeIfPresent(StageRef.self, forKey: .after)
            }
            var references: [StageReference] { after.map { [StageReference($0, accepts: ["blob"])] } ?? [] }
        }
        var name: String { "blob" }
        var version: Int { 1 }
        var produces: ArtifactType { "blob" }
        func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
            let url = context.outputDirectory.appendingPathComponent("blob.bin")
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            let h = try FileHandle(forWritingTo: url)
            defer { try? h.close() }
            let chunk = Data(repeating: UInt8(truncatingIfNeeded: c.index &* 31 &+ 7), count: 8 << 20)
            var left = c.bytes
            while left > 0 {
                try context.checkCancellation()
                let n = min(left, chunk.count)
                try h.write(contentsOf: chunk.prefix(n))
                left -= n
                context.progress(c.bytes - left, of: c.bytes, unit: "byte")
            }
            return ["bytes": .number(Double(c.bytes))]
        }
    }

    static var registry: StageRegistry {
        var r = StageRegistry()
        r.register(BlobKind())
        return r
    }

    func run() throws {
        if let file = cachedRunOnly {
            let record = try PipelineRunner(registry: Self.registry, tool: "finch \(Finch.version) bench")
                .run(file: URL(fileURLWithPath: file), options: .init(), observer: QuietObserver())
            guard record.stages.values.allSatisfy({ $0.status == "cached" }) else { throw ExitCode(1) }
            return
        }
        let fm = FileManager.default
        let root = URL(fileURLWithPath: dir ?? fm.temporaryDirectory.appendingPathComponent("finch-bench-pipeline-\(getpid())").path)
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        defer { if dir == nil { try? fm.removeItem(at: root) } }
        var yaml = "name: bench-pipeline\nseed: 1\nstages:\n"
        for i in 0..<stages {
            yaml += "  s\(i): {uses: blob, index: \(i), bytes: \(megabytes * 1_000_000)\(i > 0 ? ", after: s\(i - 1)" : "")}\n"
        }
        let file = root.appendingPathComponent("pipeline.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let runner = PipelineRunner(registry: Self.registry, tool: "finch \(Finch.version) bench")

        let t0 = Date()
        let first = try runner.run(file: file, options: .init(), observer: QuietObserver())
        let setup = Date().timeIntervalSince(t0)
        guard first.exitStatus == 0 else { throw ValidationError("the uncached run failed") }
        let store = ArtifactStore.resolve(explicit: nil, pipelineFile: file)
        let objectBytes = first.stages.values.compactMap { store.manifest($0.key)?.bytes }.reduce(0, +)

        var process: [Double] = []
        for _ in 0..<repeats {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
            if !fm.isExecutableFile(atPath: p.executableURL!.path) { p.executableURL = Bundle.main.executableURL }
            p.arguments = ["bench", "pipeline", "--cached-run-only", file.path]
            let t = Date()
            try p.run()
            p.waitUntilExit()
            process.append(Date().timeIntervalSince(t))
            guard p.terminationStatus == 0 else { throw ValidationError("a cached run in a new process did not find everything cached") }
        }
        var inProcess: [Double] = []
        var plans: [Double] = []
        for _ in 0..<repeats {
            var t = Date()
            let r = try runner.run(file: file, options: .init(), observer: QuietObserver())
            inProcess.append(Date().timeIntervalSince(t))
            guard r.stages.values.allSatisfy({ $0.status == "cached" }) else { throw ValidationError("cached run reran a stage") }
            t = Date()
            let plan = Plan(definition: try PipelineLoader(registry: Self.registry).load(file: file), store: store)
            plans.append(Date().timeIntervalSince(t))
            guard !plan.anythingToRun else { throw ValidationError("plan found work in a cached pipeline") }
        }
        let common: [(String, BenchValue)] = [("stages", .int(stages)), ("object_bytes", .int(Int(objectBytes))), ("repeats", .int(repeats))]
        BenchOutput.emit([("bench", "pipeline"), ("what", "uncached_run_setup"), ("seconds", .number(setup, digits: 4))] + common)
        BenchOutput.emit([("bench", "pipeline"), ("what", "cached_run_new_process"), ("median_s", .number(median(process), digits: 4))] + common)
        BenchOutput.emit([("bench", "pipeline"), ("what", "cached_run_in_process"), ("median_s", .number(median(inProcess), digits: 4))] + common)
        BenchOutput.emit([("bench", "pipeline"), ("what", "plan_in_process"), ("median_s", .number(median(plans), digits: 4))] + common)
    }

    private func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
