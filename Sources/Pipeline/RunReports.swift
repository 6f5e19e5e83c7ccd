import Foundation

/// `finch runs` and `finch diff`: tables and comparisons built from run records only.
public enum RunReports {
    /// Parameters of a run as flat paths: `seed`, `stages.tuned.optimizer.lr`, …
    static func parameters(_ r: RunRecord) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        if let seed = r.spec["seed"] { out["seed"] = seed }
        for (name, stage) in r.spec["stages"]?.objectValue ?? [:] {
            if let uses = stage["uses"] { out["stages.\(name).uses"] = uses }
            for (p, v) in stage["config"]?.flattened() ?? [:] { out["stages.\(name).\(p)"] = v }
        }
        return out
    }

    /// Scalar metrics as `stage.metric`.
    static func metrics(_ r: RunRecord) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (name, s) in r.stages {
            for (k, v) in s.metrics {
                switch v {
                case .number, .string, .bool: out["\(name).\(k)"] = v
                default: continue
                }
            }
        }
        return out
    }

    /// One row per run: id, date, duration, status, then the parameters that differ between the
    /// listed runs, then scalar metrics.
    public static func table(_ records: [RunRecord]) -> String {
        guard !records.isEmpty else { return "no runs recorded" }
        let params = records.map(parameters)
        let varying = Set(params.flatMap(\.keys)).filter { k in Set(params.map { $0[k] }).count > 1 }.sorted()
        let mets = records.map(metrics)
        let metricKeys = Set(mets.flatMap(\.keys)).sorted()
        let header = ["RUN", "PIPELINE", "DATE", "DURATION", "STATUS", "RAN"] + varying.map(shortPath) + metricKeys
        var rows = [header]
        for (i, r) in records.enumerated() {
            let ran = r.stages.values.filter { $0.status == "ran" }.count
            var row = [r.id, r.pipeline, RunRecord.dateFormatter.string(from: r.started), ConsoleProgress.duration(r.seconds),
                       r.status, "\(ran)/\(r.stages.count)"]
            row += varying.map { params[i][$0]?.display ?? "-" }
            row += metricKeys.map { k in mets[i][k].map(formatMetric) ?? "-" }
            rows.append(row)
        }
        return align(rows)
    }

    static func shortPath(_ p: String) -> String { p.hasPrefix("stages.") ? String(p.dropFirst(7)) : p }

    static func formatMetric(_ v: JSONValue) -> String {
        if case .number(let d) = v, JSONValue.exactInteger(d) == nil { return String(format: "%.4g", d) }
        return v.display
    }

    static func align(_ rows: [[String]]) -> String {
        let cols = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: cols)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Differences between two runs: parameters, overrides, stage keys and statuses, local file hashes, metrics.
    public static func diff(_ a: RunRecord, _ b: RunRecord) -> String {
        var lines = ["--- \(a.id) (\(a.pipeline), \(a.status))", "+++ \(b.id) (\(b.pipeline), \(b.status))"]
        let pa = parameters(a), pb = parameters(b)
        let changed = Set(pa.keys).union(pb.keys).sorted().filter { pa[$0] != pb[$0] }
        lines.append(changed.isEmpty ? "parameters: identical" : "parameters:")
        for k in changed { lines.append("  \(k): \(pa[k]?.display ?? "(absent)") → \(pb[k]?.display ?? "(absent)")") }
        if a.overrides != b.overrides {
            lines.append("overrides: [\(a.overrides.joined(separator: " "))] → [\(b.overrides.joined(separator: " "))]")
        }
        lines.append("stages:")
        for name in Set(a.stages.keys).union(b.stages.keys).sorted() {
            let sa = a.stages[name], sb = b.stages[name]
            let same = sa?.key == sb?.key ? "same key" : "key \(sa?.key.prefix(12) ?? "-") → \(sb?.key.prefix(12) ?? "-")"
            lines.append("  \(name): \(same), \(sa?.status ?? "-") → \(sb?.status ?? "-")")
            let fa = sa?.localFiles ?? [:], fb = sb?.localFiles ?? [:]
            for field in Set(fa.keys).union(fb.keys).sorted() where fa[field] != fb[field] {
                let path = fb[field]?.path ?? fa[field]!.path
                lines.append("    local file \(path) (`\(field):`): \(fa[field].map { String($0.sha256.prefix(12)) } ?? "-")"
                    + " → \(fb[field].map { String($0.sha256.prefix(12)) } ?? "-")")
            }
        }
        let ma = metrics(a), mb = metrics(b)
        let mk = Set(ma.keys).union(mb.keys).sorted().filter { ma[$0] != mb[$0] }
        if !mk.isEmpty {
            lines.append("metrics:")
            for k in mk {
                var delta = ""
                if let x = ma[k]?.numberValue, let y = mb[k]?.numberValue { delta = String(format: "  (%+.4g)", y - x) }
                lines.append("  \(k): \(ma[k].map(formatMetric) ?? "-") → \(mb[k].map(formatMetric) ?? "-")\(delta)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
