import Foundation
@testable import Pipeline
import Testing

/// Stages rerun exactly when their key changes, counted by real executions.
@Suite struct CachingTests {
    func keys(_ text: String, overrides: [String] = []) throws -> [String: String] {
        let s = Scratch()
        let def = try PipelineLoader(registry: testRegistry()).load(bytes: Array(text.utf8), file: s.dir.appendingPathComponent("p.yaml"),
                                                                    displayName: "p.yaml", overrides: overrides)
        return Dictionary(uniqueKeysWithValues: def.stages.map { ($0.name, $0.key) })
    }

    @Test func cosmeticEditsChangeNoKey() throws {
        let reformatted = """
        # a comment
        seed:   123
        name: demo   # trailing comment
        stages:
          report:
            inputs:
              - tuned
              - extra
            uses: combine
          tuned: {optimizer: {lr: 0.00005, kind: adamw}, epochs: 2, data: splits, uses: train}
          splits:
            uses: split
            data: data
            validation: 0.1
            train: 0.80
            test: 1.0e-1
          extra: {uses: source, text: "b"}
          data: {value: 2.0, uses: source, files: 2}
        """
        #expect(try keys(basePipeline) == keys(reformatted))
        // A default written out explicitly is the same configuration.
        #expect(try keys(basePipeline) == keys(basePipeline.replacingOccurrences(of: "epochs: 2", with: "epochs: 2\n    steps: 3")))
    }

    @Test func valueChangeChangesOnlyThatStageAndDownstream() throws {
        let a = try keys(basePipeline)
        let b = try keys(basePipeline.replacingOccurrences(of: "lr: 5.0e-5", with: "lr: 1e-4"))
        #expect(Set(a.keys.filter { a[$0] != b[$0] }) == ["tuned", "report"])
        let c = try keys(basePipeline, overrides: ["seed=7"])
        // Only stages that use the seed (and their downstream) change with it.
        #expect(Set(a.keys.filter { a[$0] != c[$0] }) == ["splits", "tuned", "report"])
        let d = try keys(basePipeline, overrides: ["name=other"])
        #expect(a == d)
    }

    @Test func rerunsExactlyWhatAnEditInvalidates() throws {
        let s = Scratch()
        let file = s.write("p.yaml", basePipeline)
        let first = try run(file)
        #expect(first.exitStatus == 0)
        #expect(s.takeExecutions().sorted() == ["data", "extra", "report", "splits", "tuned"])
        #expect(first.stages.values.allSatisfy { $0.status == "ran" })

        _ = try run(file)
        #expect(s.takeExecutions().isEmpty)

        s.write("p.yaml", basePipeline.replacingOccurrences(of: "text: b", with: "text: c") + "# comment\n")
        let third = try run(file)
        #expect(s.takeExecutions() == ["extra", "report"])
        #expect(third.stages["data"]?.status == "cached")
        #expect(third.stages["report"]?.status == "ran")

        let fourth = try run(file, .init(overrides: ["stages.tuned.optimizer.lr=1e-4"]))
        #expect(s.takeExecutions() == ["tuned", "report"])
        #expect(fourth.overrides == ["stages.tuned.optimizer.lr=1e-4"])
        #expect(fourth.spec["stages"]?["tuned"]?["config"]?["optimizer"]?["lr"] == .number(1e-4))
        // The cached stage repeats its metrics in the new record.
        #expect(fourth.stages["data"]?.metrics["value"] == .number(2))
    }

    @Test func untilAndForce() throws {
        let s = Scratch()
        let file = s.write("p.yaml", basePipeline)
        let r = try run(file, .init(until: "splits"))
        #expect(s.takeExecutions().sorted() == ["data", "splits"])
        #expect(r.stages["tuned"]?.status == "skipped")
        #expect(r.stages["extra"]?.status == "skipped")
        _ = try run(file)
        #expect(s.takeExecutions().sorted() == ["extra", "report", "tuned"])
        _ = try run(file, .init(force: ["splits"]))
        #expect(s.takeExecutions() == ["splits", "tuned", "report"])
        #expect(throws: PipelineError.self) { try run(file, .init(until: "nope")) }
    }

    @Test func failedStageLeavesNoObjectAndEarlierStagesStayCached() throws {
        let s = Scratch()
        let file = s.write("p.yaml", basePipeline.replacingOccurrences(of: "epochs: 2", with: "epochs: 2\n    fail: true"))
        let r = try run(file)
        #expect(r.exitStatus == 1)
        #expect(r.stages["tuned"]?.status == "failed")
        #expect(r.stages["tuned"]?.error == "loss diverged at step 2")
        #expect(r.stages["report"]?.status == "skipped")
        #expect(!s.store.contains(r.stages["tuned"]!.key))
        #expect(s.store.contains(r.stages["splits"]!.key))
        // The failed stage's work directory (its checkpoint) stays for a resume; no temporary dir does.
        #expect(FileManager.default.fileExists(atPath: s.store.workDirectory(r.stages["tuned"]!.key).appendingPathComponent("checkpoint").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.store.tmp.path).isEmpty)
        #expect(RunOutcome.summary(r).contains("stage 'tuned' (uses: train) failed: loss diverged at step 2"))

        s.takeExecutions()
        s.write("p.yaml", basePipeline)
        let fixed = try run(file)
        #expect(s.takeExecutions() == ["tuned", "report"])
        #expect(fixed.exitStatus == 0)
        // After commit the work directory is gone.
        #expect(!FileManager.default.fileExists(atPath: s.store.workDirectory(fixed.stages["tuned"]!.key).path))
    }

    @Test func cancellationStopsCleanly() throws {
        let s = Scratch()
        let file = s.write("p.yaml", basePipeline)
        let flag = CancellationFlag()
        flag.cancel()
        let r = try PipelineRunner(registry: testRegistry(), tool: "t").run(file: file, options: .init(), observer: SilentObserver(), cancel: flag)
        #expect(r.exitStatus == 130)
        #expect(r.status == "interrupted")
        #expect(s.takeExecutions().isEmpty)
    }

    @Test func objectsHaveManifestsAndRecordsAreReadable() throws {
        let s = Scratch()
        let file = s.write("p.yaml", basePipeline)
        let r = try run(file)
        let key = r.stages["data"]!.key
        let manifest = try #require(s.store.manifest(key))
        #expect(manifest.files.map(\.path) == ["f0.txt", "f1.txt"])
        let (size, digest) = try Manifest.hashFile(s.store.artifactDirectory(key).appendingPathComponent("f0.txt"))
        #expect(manifest.files[0].sha256 == digest && manifest.files[0].size == size)
        let records = RunHistory(store: s.store).records(pipeline: "demo")
        #expect(records.map(\.id) == [r.id])
        let raw = try JSONSerialization.jsonObject(with: Data(contentsOf: s.store.runs.appendingPathComponent("demo/\(r.id).json"))) as! [String: Any]
        let stage = (raw["stages"] as! [String: Any])["tuned"] as! [String: Any]
        #expect(stage["status"] as? String == "ran")
        #expect((stage["metrics"] as? [String: Any])?["steps"] as? Int == 3)
        #expect(raw["exit_status"] as? Int == 0)
    }
}
