import ArgumentParser

/// `finch bench …`: the performance suite. Every subcommand prints JSON objects, one per line.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Finch's performance; prints one JSON object per line.",
        subcommands: [BenchKernels.self, BenchTokenizer.self, BenchPipeline.self, BenchTrain.self, BenchGenerate.self])
}
