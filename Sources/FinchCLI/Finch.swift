import ArgumentParser
import Foundation
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

extension Finch {
    /// Argument errors (unknown flag, missing value, bad number) are invalid input like any other, so they exit
    /// with Finch's code 2 instead of argument-parser's 64; help, version and every other outcome are unchanged.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
