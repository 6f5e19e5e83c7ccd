import ArgumentParser
import Pipeline

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two runs: parameters, stage keys and statuses, metrics.")

    @Argument(help: "The first run id (or a unique prefix).") var first: String
    @Argument(help: "The second run id (or a unique prefix).") var second: String
    @OptionGroup var cache: CacheOptions

    func run() throws {
        do {
            let history = RunHistory(store: cache.store(pipeline: nil))
            print(RunReports.diff(try history.find(first), try history.find(second)))
        } catch {
            throw fail(error)
        }
    }
}
