import Foundation
import Pipeline
import Testing

/// Real processes: the test bed binary (Tests/PipelineTestbed) runs the same runner as `finch`.
@Suite(.serialized) struct ProcessTests {
    static var testbed: URL? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent(), Bundle.main.bundleURL.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("pipeline-testbed")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    final class Run {
        let process = Process()
        private let stderrPipe = Pipe()
        private var collected = Data()

        init(_ args: [String], log: URL) throws {
            guard let testbed = ProcessTests.testbed else {
                throw PipelineError.notFound("pipeline-testbed was not built next to the test bundle; run `swift build --build-tests`")
            }
            process.executableURL = testbed
            process.arguments = args
            var env = ProcessInfo.processInfo.environment
            env["TESTBED_LOG"] = log.path
            process.environment = env
            process.standardError = stderrPipe
            process.standardOutput = FileHandle.nullDevice
            try process.run()
        }

        /// Waits (at most 30 s) and returns the exit status and stderr.
        func finish() -> (Int32, String) {
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            collected += stderrPipe.fileHandleForReading.readDataToEndOfFile()
            return (process.terminationStatus, String(decoding: collected, as: UTF8.self))
        }
    }

    static func waitFor(_ text: String, in log: URL) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let s = try? String(contentsOf: log, encoding: .utf8), s.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    static let slowPipeline = """
    name: slow
    stages:
      first: {uses: write, files: 2, bytes: 5000}
      slow: {uses: write, after: [first], files: 20, bytes: 20000, delay_ms: 100}
      last: {uses: write, after: [slow], files: 1}

    """

    func digests(_ store: ArtifactStore, _ record: RunRecord) -> [String: [String]] {
        record.stages.mapValues { s in store.manifest(s.key)?.files.map { "\($0.path) \($0.sha256)" } ?? [] }
    }

    @Test func sigkillMidStageThenResumeMatchesUninterruptedRun() throws {
        let s = Scratch()
        let file = s.write("p.yaml", Self.slowPipeline)
        let log = s.dir.appendingPathComponent("log")
        let victim = try Run(["run", file.path], log: log)
        #expect(Self.waitFor("start slow", in: log))
        usleep(600_000)  // a few parts written, mid-stage
        kill(victim.process.processIdentifier, SIGKILL)
        _ = victim.finish()

        // Only complete objects: `first` committed, nothing for `slow`, an orphaned tmp dir at most.
        let objects = try FileManager.default.contentsOfDirectory(atPath: s.store.objects.path)
        #expect(objects.count == 1)
        for key in objects { #expect(s.store.manifest(key) != nil) }

        let (status, err) = try Run(["run", file.path], log: log).finish()
        #expect(status == 0, "\(err)")
        #expect(err.contains("taking over the cache lock left by pid \(victim.process.processIdentifier)"), "\(err)")
        let logText = try String(contentsOf: log, encoding: .utf8)
        #expect(logText.components(separatedBy: "start first").count == 2, "first ran once: \(logText)")
        let resumed = logText.split(separator: "\n").first { $0.hasPrefix("finish slow") } ?? ""
        #expect(!resumed.hasSuffix("resumed=0"), "the rerun resumed from the work directory: \(logText)")
        let record = try #require(RunHistory(store: s.store).latest(pipeline: "slow"))

        // The same pipeline uninterrupted, in another cache.
        let clean = Scratch()
        let cleanFile = clean.write("p.yaml", Self.slowPipeline)
        let (cleanStatus, _) = try Run(["run", cleanFile.path], log: clean.dir.appendingPathComponent("log")).finish()
        #expect(cleanStatus == 0)
        let cleanRecord = try #require(RunHistory(store: clean.store).latest(pipeline: "slow"))
        #expect(record.stages.mapValues(\.key) == cleanRecord.stages.mapValues(\.key))
        #expect(digests(s.store, record) == digests(clean.store, cleanRecord))
        #expect(digests(s.store, record)["slow"]?.count == 20)
    }

    @Test func secondRunFailsNamingTheHolderThenCtrlCStopsWith130() throws {
        let s = Scratch()
        let file = s.write("p.yaml", Self.slowPipeline)
        let log = s.dir.appendingPathComponent("log")
        let holder = try Run(["run", file.path], log: log)
        #expect(Self.waitFor("start slow", in: log))
        let (status, err) = try Run(["run", file.path], log: s.dir.appendingPathComponent("log2")).finish()
        #expect(status == 1)
        #expect(err.contains("is in use by pid \(holder.process.processIdentifier) on "), "\(err)")

        kill(holder.process.processIdentifier, SIGINT)
        let (holderStatus, holderErr) = holder.finish()
        #expect(holderStatus == 130, "\(holderErr)")
        #expect(holderErr.contains("interrupted during stage 'slow'"), "\(holderErr)")
        let record = try #require(RunHistory(store: s.store).latest(pipeline: "slow"))
        #expect(record.exitStatus == 130 && record.stages["first"]?.status == "ran" && record.stages["slow"]?.status == "failed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.store.tmp.path).isEmpty)
        // The lock was released cleanly: no take-over message next time.
        let (again, againErr) = try Run(["run", file.path, "--until", "first"], log: log).finish()
        #expect(again == 0 && !againErr.contains("taking over"), "\(againErr)")
    }

    @Test func invalidInputExitsWith2() throws {
        let s = Scratch()
        let file = s.write("p.yaml", "name: x\nstages:\n  a: {uses: write, files: 0, byts: 1}\n")
        let (status, err) = try Run(["run", file.path], log: s.dir.appendingPathComponent("log")).finish()
        #expect(status == 2)
        #expect(err.contains("p.yaml:3:30: error: unknown key 'byts' (did you mean 'bytes'?)"), "\(err)")
        #expect(err.contains("p.yaml:3:27: error: files must be at least 1"), "\(err)")
    }
}
