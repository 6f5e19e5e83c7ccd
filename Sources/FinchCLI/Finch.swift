import ArgumentParser
import TensorCore

@main
struct Finch: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "finch",
        abstract: "Fine-tune GPT-style language models to follow instructions, on the CPU, from YAML pipelines.",
        version: "finch \(version) (oneDNN \(Runtime.oneDNNVersion), CPU ISA \(Runtime.cpuISA), AMX \(Runtime.hasAMX ? "yes" : "no"))",
        subcommands: [RunCommand.self, PlanCommand.self, DagCommand.self, RunsCommand.self, DiffCommand.self,
                      ShowCommand.self, GCCommand.self, Tokenize.self, Generate.self, Chat.self, InitModel.self, Bench.self])
}
