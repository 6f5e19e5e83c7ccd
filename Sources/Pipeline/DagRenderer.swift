/// `finch dag`: the stage graph as indented text or as a Mermaid flowchart.
public enum DagRenderer {
    public static func text(_ def: PipelineDefinition) -> String {
        let width = def.order.map(\.count).max() ?? 0
        var lines = ["\(def.name) (seed \(def.seed))"]
        for n in def.order {
            let s = def.stage(n)!
            let deps = s.dependencies.isEmpty ? "" : "  ← " + s.dependencies.joined(separator: ", ")
            lines.append("  \(n.padding(toLength: width, withPad: " ", startingAt: 0))  [\(s.kind) → \(s.produces)]\(deps)")
        }
        return lines.joined(separator: "\n")
    }

    public static func mermaid(_ def: PipelineDefinition) -> String {
        var lines = ["flowchart TD"]
        for n in def.order {
            let s = def.stage(n)!
            lines.append("  \(id(n))[\"\(n)<br/><small>\(s.kind) → \(s.produces)</small>\"]")
        }
        for n in def.order {
            for d in def.stage(n)!.dependencies { lines.append("  \(id(d)) --> \(id(n))") }
        }
        return lines.joined(separator: "\n")
    }

    /// Mermaid ids may not hold '-'.
    private static func id(_ name: String) -> String { name.replacingOccurrences(of: "-", with: "_") }
}
