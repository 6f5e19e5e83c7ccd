import ArgumentParser
import Foundation
import Pipeline

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List recorded runs: id, date, duration, parameters that differ, metrics.")

    @Argument(help: "A pipeline file or pipeline name (default: every pipeline in the cache).") var pipeline: String?
    @OptionGroup var cache: CacheOptions

    func run() throws {
        var name = pipeline
        var file: URL?
        if let p = pipeline, FileManager.default.fileExists(atPath: p) {
            file = pipelineURL(p)
            do {
                name = try PipelineLoader(registry: StageCatalog.registry).pipelineName(file: file!)
            } catch {
                throw fail(error)
            }
        }
        print(RunReports.table(RunHistory(store: cache.store(pipeline: file)).records(pipeline: name)))
    }
}
