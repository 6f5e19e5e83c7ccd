import ArgumentParser
import Foundation
import Pipeline

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline; stages whose cache key is unchanged are reused.",
        discussion: "Exit codes: 0 success, 1 a stage failed, 2 invalid input, 130 interrupted.")

    @Argument(help: "The pipeline YAML file.") var pipeline: String
    @Option(name: .customLong("set"), help: "Override a field: stages.NAME.FIELD=VALUE (YAML value); repeatable.")
    var overrides: [String] = []
    @Option(help: "Run only this stage and what it needs.") var until: String?
    @Option(help: "Rerun this stage and everything downstream; repeatable.") var force: [String] = []
    @OptionGroup var cache: CacheOptions

    func run() throws {
        let progress = ConsoleProgress()
        let cancel = CancellationFlag()
        cancel.installSignalHandlers { progress.message($0) }
        let options = PipelineRunner.Options(cacheDirectory: cache.cacheDir, overrides: overrides, until: until,
                                             force: force, lockWait: cache.wait)
        let record: RunRecord
        do {
            record = try PipelineRunner(registry: StageCatalog.registry, tool: "finch \(Finch.version)")
                .run(file: pipelineURL(pipeline), options: options, observer: progress, cancel: cancel)
        } catch {
            throw fail(error)
        }
        FileHandle.standardError.write(Data((RunOutcome.summary(record) + "\n").utf8))
        if record.exitStatus != 0 { throw ExitCode(record.exitStatus) }
    }
}
