import ArgumentParser
import Foundation
import Pipeline

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove cached objects no pipeline's latest run uses, and orphaned temporary directories.")

    @Flag(name: .customLong("dry-run"), help: "List what would be removed without removing it.") var dryRun = false
    @Option(help: "A pipeline file whose cache directory to clean.") var pipeline: String?
    @OptionGroup var cache: CacheOptions

    func run() throws {
        do {
            let store = cache.store(pipeline: pipeline.map(pipelineURL))
            let report = try CacheMaintenance.gc(store: store, dryRun: dryRun, lockWait: cache.wait) {
                FileHandle.standardError.write(Data("finch: \($0)\n".utf8))
            }
            print(report.render(dryRun: dryRun))
        } catch {
            throw fail(error)
        }
    }
}
