import ArgumentParser
import Pipeline

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a stage's artifact: directory, files, metrics, summary.")

    @Argument(help: "STAGE, PIPELINE:STAGE, or a cache key prefix.") var stage: String
    @Option(help: "The pipeline file whose cache and latest run to look in.") var pipeline: String?
    @OptionGroup var cache: CacheOptions

    func run() throws {
        do {
            let file = pipeline.map(pipelineURL)
            let name = try file.map { try PipelineLoader(registry: StageCatalog.registry).pipelineName(file: $0) }
            print(try CacheMaintenance.show(stage, pipeline: name, store: cache.store(pipeline: file), registry: StageCatalog.registry))
        } catch {
            throw fail(error)
        }
    }
}
