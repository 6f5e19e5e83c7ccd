import Foundation

/// What `finch run` would do, and why, compared with the pipeline's last run record.
public struct Plan: Sendable {
    public struct Entry: Sendable {
        public let stage: String
        public let kind: String
        public let key: String
        public let willRun: Bool
        /// Empty when cached; otherwise what differs from the last record (or why it must run).
        public let reasons: [String]
    }

    public let pipeline: String
    public let entries: [Entry]
    public var anythingToRun: Bool { entries.contains(where: \.willRun) }

    public init(definition def: PipelineDefinition, store: ArtifactStore, until: String? = nil, force: [String] = []) {
        pipeline = def.name
        let history = RunHistory(store: store).records(pipeline: def.name)
        let selected = until.map { def.upstream(of: $0) } ?? Set(def.order)
        var forced: [String: String] = [:]
        for f in force { for d in def.downstream(of: f) where forced[d] == nil { forced[d] = f } }
        var out: [Entry] = []
        for name in def.order where selected.contains(name) {
            let s = def.stage(name)!
            let cached = store.contains(s.key)
            if cached && forced[name] == nil {
                out.append(Entry(stage: name, kind: s.kind, key: s.key, willRun: false, reasons: []))
                continue
            }
            var reasons: [String] = []
            if let f = forced[name] { reasons.append(f == name ? "forced (--force \(f))" : "downstream of forced stage '\(f)'") }
            if !cached { reasons += Self.why(s, def: def, history: history) }
            out.append(Entry(stage: name, kind: s.kind, key: s.key, willRun: true, reasons: reasons))
        }
        entries = out
    }

    /// Differences from the newest record in which this stage produced (or reused) an object.
    static func why(_ s: ResolvedStage, def: PipelineDefinition, history: [RunRecord]) -> [String] {
        guard let last = history.last(where: { ["ran", "cached"].contains($0.stages[s.name]?.status ?? "") }),
              let prev = last.stages[s.name] else {
            return ["no earlier run produced this stage"]
        }
        if prev.key == s.key { return ["its object is missing from the cache (removed by gc or by hand)"] }
        var reasons: [String] = []
        if prev.kind != s.kind { reasons.append("uses: \(prev.kind) → \(s.kind)") }
        if prev.version != s.version { reasons.append("implementation version \(prev.version) → \(s.version)") }
        let before = last.spec["stages"]?[s.name]?["config"]?.flattened() ?? [:]
        let after = s.configJSON.flattened()
        for path in Set(before.keys).union(after.keys).sorted() where before[path] != after[path] {
            reasons.append("\(path): \(before[path]?.display ?? "(absent)") → \(after[path]?.display ?? "(absent)")")
        }
        let recorded = prev.localFiles ?? [:]
        for (field, now) in s.localFiles.sorted(by: { $0.key < $1.key }) {
            let shown = now.displayPath(relativeTo: def.directory)
            if let old = recorded[field] {
                // A different path is already told by the configuration change above.
                if old.path == now.path && old.sha256 != now.sha256 { reasons.append("local file \(shown) changed") }
            } else if before["\(field)"] == after["\(field)"] {
                reasons.append("local file \(shown) now enters the key (not hashed in the last run)")
            }
        }
        for dep in s.dependencies {
            let newKey = def.stage(dep)!.key
            if prev.inputs[dep] != newKey { reasons.append("input '\(dep)' changed") }
        }
        if s.usesSeed, let oldSeed = last.spec["seed"]?.numberValue, UInt64(exactly: oldSeed) != def.seed {
            reasons.append("seed: \(JSONValue.canonicalNumber(oldSeed)) → \(def.seed)")
        }
        if reasons.isEmpty { reasons.append("cache key changed") }
        return reasons
    }

    /// One line per stage: `cached` or `run`, the stage, its key prefix and the reasons.
    public func render() -> String {
        var lines: [String] = []
        let width = entries.map(\.stage.count).max() ?? 0
        for e in entries {
            let status = e.willRun ? "will run" : "cached  "
            let name = e.stage.padding(toLength: width, withPad: " ", startingAt: 0)
            let why = e.reasons.isEmpty ? "" : "  " + e.reasons.joined(separator: "; ")
            lines.append("\(status)  \(name)  \(e.key.prefix(12))  (\(e.kind))\(why)")
        }
        let n = entries.filter(\.willRun).count
        lines.append(n == 0 ? "everything is cached" : "\(n) of \(entries.count) stage\(entries.count == 1 ? "" : "s") will run")
        return lines.joined(separator: "\n")
    }
}
