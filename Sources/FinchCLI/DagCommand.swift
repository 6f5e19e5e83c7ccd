import ArgumentParser
import Pipeline

struct DagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dag", abstract: "Print a pipeline's stage graph.")

    @Argument(help: "The pipeline YAML file.") var pipeline: String
    @Flag(help: "Print a Mermaid flowchart instead of text.") var mermaid = false

    func run() throws {
        do {
            let def = try PipelineLoader(registry: StageCatalog.registry).load(file: pipelineURL(pipeline))
            print(mermaid ? DagRenderer.mermaid(def) : DagRenderer.text(def))
        } catch {
            throw fail(error)
        }
    }
}
