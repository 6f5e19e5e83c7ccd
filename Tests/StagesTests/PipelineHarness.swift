import Foundation
import Pipeline
import TestSupport
@testable import Stages

/// Runs pipelines in-process through the engine against a fresh cache directory.
final class PipelineHarness {
    let dir: TempDirectory
    let registry: StageRegistry

    init(registry: StageRegistry = StageKinds.registry()) throws {
        dir = try TempDirectory()
        self.registry = registry
    }

    deinit { dir.remove() }

    var cache: URL { dir.file(".finch") }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        let url = dir.file(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func run(_ file: URL, overrides: [String] = [], until: String? = nil, cancel: CancellationFlag = CancellationFlag()) throws -> RunRecord {
        try PipelineRunner(registry: registry, tool: "finch test")
            .run(file: file, options: .init(cacheDirectory: cache.path, overrides: overrides, until: until),
                 observer: QuietObserver(), cancel: cancel)
    }

    /// The validation messages of a pipeline that must not load.
    func errors(_ text: String, overrides: [String] = []) -> [String] {
        do {
            _ = try PipelineLoader(registry: registry).load(bytes: Array(text.utf8), file: dir.file("p.yaml"),
                                                            displayName: "p.yaml", overrides: overrides)
            return []
        } catch let e as SpecErrors {
            return e.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    func artifact(_ record: RunRecord, _ stage: String) -> URL {
        ArtifactStore(root: cache).artifactDirectory(record.stages[stage]!.key)
    }

    func ran(_ record: RunRecord) -> [String] {
        record.stages.filter { $0.value.status == "ran" }.map(\.key).sorted()
    }
}

/// YAML-quoted absolute path of a shared-data file.
func sharedPath(_ relative: String) -> String {
    "\"\(SharedData.url(relative).path)\""
}
