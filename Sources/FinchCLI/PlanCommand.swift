import ArgumentParser
import Pipeline

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show which stages are cached and which would run, and why.")

    @Argument(help: "The pipeline YAML file.") var pipeline: String
    @Option(name: .customLong("set"), help: "Override a field, as for `finch run`; repeatable.") var overrides: [String] = []
    @Option(help: "Plan only this stage and what it needs.") var until: String?
    @Option(help: "Plan as if this stage were forced; repeatable.") var force: [String] = []
    @Flag(name: .customLong("exit-code"), help: "Exit with 3 when anything would run.") var exitCode = false
    @OptionGroup var cache: CacheOptions

    func run() throws {
        let plan: Plan
        do {
            let url = pipelineURL(pipeline)
            let store = cache.store(pipeline: url)
            let def = try PipelineLoader(registry: StageCatalog.registry).load(file: url, overrides: overrides, cacheDirectory: store.root)
            for n in [until].compactMap({ $0 }) + force where def.stage(n) == nil {
                throw PipelineError.unknownStage(n, def.stages.map(\.name))
            }
            plan = Plan(definition: def, store: store, until: until, force: force)
        } catch {
            throw fail(error)
        }
        print(plan.render())
        if exitCode && plan.anythingToRun { throw ExitCode(RunOutcome.planHasWork) }
    }
}
