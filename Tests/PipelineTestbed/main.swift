// A small `finch run` for process-level tests (SIGKILL mid-stage, a lock held by another process,
// Ctrl-C → 130). It drives the same PipelineRunner as `finch`, with stage kinds of its own that do
// real work: they write files, slowly if asked, and log every start and finish.
//
//     pipeline-testbed run FILE [--cache-dir D] [--set P=V]… [--until S] [--force S]… [--wait SECONDS]
import Foundation
import Pipeline

/// Writes `files` files of `bytes` bytes each, derived from `text` and the inputs' files, one every
/// `delay_ms`. Finished files are kept in the work directory, so a rerun after a crash resumes.
struct WriteKind: StageKind {
    struct Configuration: StageConfiguration {
        var files: Int
        var bytes: Int
        var delayMs: Int
        var text: String
        var after: [StageRef]

        enum CodingKeys: String, CodingKey { case files, bytes, delayMs = "delay_ms", text, after }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            files = try c.value(.files, default: 3)
            bytes = try c.value(.bytes, default: 1000)
            delayMs = try c.value(.delayMs, default: 0)
            text = try c.value(.text, default: "x")
            after = try c.value(.after, default: [])
        }

        var references: [StageReference] { after.map { StageReference($0, accepts: ["blob"]) } }

        func validate() -> [ConfigIssue] {
            var issues: [ConfigIssue] = []
            if files < 1 { issues.append(ConfigIssue(["files"], "files must be at least 1")) }
            if bytes < 0 { issues.append(ConfigIssue(["bytes"], "bytes must not be negative")) }
            return issues
        }
    }

    var name: String { "write" }
    var version: Int { 1 }
    var produces: ArtifactType { "blob" }

    func run(_ config: Configuration, context: StageContext) throws -> [String: JSONValue] {
        log("start \(context.stageName)", context)
        var seedText = config.text
        for ref in config.after {
            let dir = context.input(ref)
            for f in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
                seedText += (try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)).prefix(64)
            }
        }
        var resumed = 0
        for i in 0..<config.files {
            let done = context.workDirectory.appendingPathComponent("part-\(i)")
            if FileManager.default.fileExists(atPath: done.path) {
                resumed += 1
            } else {
                try context.checkCancellation()
                usleep(useconds_t(config.delayMs * 1000))
                let line = "\(seedText)/\(i)\n"
                var body = String(repeating: line, count: config.bytes / max(line.utf8.count, 1) + 1)
                body = String(body.utf8.prefix(config.bytes))!
                // Write then rename, so a crash never leaves a half part that looks finished.
                let partial = context.workDirectory.appendingPathComponent(".part-\(i)")
                try body.write(to: partial, atomically: false, encoding: .utf8)
                try FileManager.default.moveItem(at: partial, to: done)
            }
            context.progress(i + 1, of: config.files, unit: "file")
        }
        for i in 0..<config.files {
            try FileManager.default.copyItem(at: context.workDirectory.appendingPathComponent("part-\(i)"),
                                             to: context.outputDirectory.appendingPathComponent("part-\(i).txt"))
        }
        log("finish \(context.stageName) resumed=\(resumed)", context)
        return ["files": .number(Double(config.files)), "resumed": .number(Double(resumed))]
    }

    /// Appends to `$TESTBED_LOG` so tests can count executions and see a stage has started.
    private func log(_ line: String, _ context: StageContext) {
        guard let path = ProcessInfo.processInfo.environment["TESTBED_LOG"] else { return }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { return }
        _ = (line + "\n").withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }
}

var args = Array(CommandLine.arguments.dropFirst())
guard args.first == "run", args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: pipeline-testbed run FILE [--cache-dir D] [--set P=V]… [--until S] [--force S]… [--wait SECONDS]\n".utf8))
    exit(2)
}
let file = URL(fileURLWithPath: args[1]).standardizedFileURL
var options = PipelineRunner.Options()
var i = 2
while i + 1 < args.count {
    let value = args[i + 1]
    switch args[i] {
    case "--cache-dir": options.cacheDirectory = value
    case "--set": options.overrides.append(value)
    case "--until": options.until = value
    case "--force": options.force.append(value)
    case "--wait": options.lockWait = Double(value) ?? 0
    default:
        FileHandle.standardError.write(Data("unknown option \(args[i])\n".utf8))
        exit(2)
    }
    i += 2
}

var registry = StageRegistry()
registry.register(WriteKind())
let progress = ConsoleProgress()
let cancel = CancellationFlag()
cancel.installSignalHandlers { progress.message($0) }
do {
    let record = try PipelineRunner(registry: registry, tool: "pipeline-testbed").run(file: file, options: options, observer: progress, cancel: cancel)
    FileHandle.standardError.write(Data((RunOutcome.summary(record) + "\n").utf8))
    exit(record.exitStatus)
} catch {
    FileHandle.standardError.write(Data((RunOutcome.message(for: error) + "\n").utf8))
    exit(RunOutcome.exitCode(for: error))
}
