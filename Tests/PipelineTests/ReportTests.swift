import Foundation
@testable import Pipeline
import Testing

@Suite struct ReportTests {
    @Test func planSaysWhatChangedSinceTheLastRun() throws {
        let s = Scratch()
        let file = s.write("p.yaml", basePipeline)
        let loader = PipelineLoader(registry: testRegistry())
        #expect(Plan(definition: try loader.load(file: file), store: s.store).entries.allSatisfy {
            $0.willRun && $0.reasons == ["no earlier run produced this stage"] })
        _ = try run(file)
        #expect(!Plan(definition: try loader.load(file: file), store: s.store).anythingToRun)
        let plan = Plan(definition: try loader.load(file: file, overrides: ["stages.tuned.optimizer.lr=1e-4"]), store: s.store)
        let tuned = try #require(plan.entries.first { $0.stage == "tuned" })
        #expect(tuned.willRun && tuned.reasons == ["optimizer.lr: 5e-05 → 0.0001"])
        let report = try #require(plan.entries.first { $0.stage == "report" })
        #expect(report.reasons == ["input 'tuned' changed"])
        #expect(plan.entries.filter(\.willRun).map(\.stage) == ["tuned", "report"])
        let seeded = Plan(definition: try loader.load(file: file, overrides: ["seed=1"]), store: s.store)
        #expect(seeded.entries.first { $0.stage == "splits" }?.reasons == ["seed: 123 → 1"])
    }

    @Test func runsTableAndDiff() throws {
        let s = Scratch()
        let file = s.write("p.yaml", basePipeline)
        let a = try run(file)
        let b = try run(file, .init(overrides: ["stages.tuned.optimizer.lr=1e-4"]))
        let table = RunReports.table(RunHistory(store: s.store).records())
        let lines = table.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].contains("tuned.optimizer.lr") && lines[0].contains("tuned.loss"))
        #expect(!lines[0].contains("tuned.epochs"))  // equal in both runs
        #expect(lines[1].contains(a.id) && lines[1].contains("5e-05"))
        #expect(lines[2].contains(b.id) && lines[2].contains("0.0001"))
        let diff = RunReports.diff(a, b)
        #expect(diff.contains("stages.tuned.optimizer.lr: 5e-05 → 0.0001"))
        #expect(diff.contains("data: same key, ran → cached"))
        #expect(diff.contains("tuned.loss:"))
    }

    @Test func dagRendering() throws {
        let s = Scratch()
        let def = try PipelineLoader(registry: testRegistry()).load(file: s.write("p.yaml", basePipeline))
        #expect(def.order == ["data", "extra", "splits", "tuned", "report"])
        let mermaid = DagRenderer.mermaid(def)
        #expect(mermaid.contains("splits --> tuned") && mermaid.contains("extra --> report") && mermaid.hasPrefix("flowchart TD"))
        #expect(DagRenderer.text(def).contains("report  [combine → numbers]  ← tuned, extra"))
    }

    @Test func showAndGarbageCollection() throws {
        let s = Scratch()
        let file = s.write("p.yaml", basePipeline)
        let first = try run(file)
        _ = try run(file, .init(overrides: ["stages.extra.text=z"]))
        let shown = try CacheMaintenance.show("data", pipeline: nil, store: s.store, registry: testRegistry())
        #expect(shown.contains(s.store.artifactDirectory(first.stages["data"]!.key).path) && shown.contains("f1.txt"))
        // An orphaned temporary directory, as a killed run leaves.
        try FileManager.default.createDirectory(at: s.store.tmp.appendingPathComponent("dead.1.x"), withIntermediateDirectories: true)
        let dry = try CacheMaintenance.gc(store: s.store, dryRun: true, lockWait: 0) { _ in }
        #expect(Set(dry.removedObjects) == [first.stages["extra"]!.key, first.stages["report"]!.key])
        #expect(s.store.contains(first.stages["extra"]!.key))
        let done = try CacheMaintenance.gc(store: s.store, dryRun: false, lockWait: 0) { _ in }
        #expect(done.removedObjects.count == 2 && done.removedTemporary == ["dead.1.x"] && done.keptObjects == 5)
        #expect(!s.store.contains(first.stages["extra"]!.key))
        s.takeExecutions()
        _ = try run(file, .init(overrides: ["stages.extra.text=z"]))
        #expect(s.takeExecutions().isEmpty)
    }

    @Test func lockIsExclusiveAndNamesTheHolder() throws {
        let s = Scratch()
        let held = try CacheLock(store: s.store, command: "test", wait: 0) { _ in }
        do {
            _ = try CacheLock(store: s.store, command: "second", wait: 0.2) { _ in }
            Issue.record("second lock was granted")
        } catch let e as PipelineError {
            #expect(e.localizedDescription.contains("pid \(getpid())"))
        }
        held.release()
        let again = try CacheLock(store: s.store, command: "third", wait: 0) { _ in }
        again.release()
    }
}
