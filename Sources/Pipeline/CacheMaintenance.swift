import Foundation

/// `finch show` and `finch gc`.
public enum CacheMaintenance {
    /// The latest record of every pipeline in the cache.
    static func latestRecords(_ store: ArtifactStore) -> [RunRecord] {
        let h = RunHistory(store: store)
        return h.pipelines.compactMap { h.latest(pipeline: $0) }
    }

    /// Describes a stage's committed artifact. `stage` is `NAME`, `PIPELINE:NAME`, or a key prefix;
    /// names resolve through the latest run of each pipeline (or of `pipeline` when given).
    public static func show(_ stage: String, pipeline: String?, store: ArtifactStore, registry: StageRegistry) throws -> String {
        var candidates: [(pipeline: String, name: String, stage: RunRecord.Stage)] = []
        var wantPipeline = pipeline
        var wantName = stage
        if let colon = stage.firstIndex(of: ":") {
            wantPipeline = String(stage[..<colon])
            wantName = String(stage[stage.index(after: colon)...])
        }
        for r in latestRecords(store) where wantPipeline == nil || r.pipeline == wantPipeline {
            if let s = r.stages[wantName] { candidates.append((r.pipeline, wantName, s)) }
        }
        if candidates.isEmpty, stage.count >= 6, stage.allSatisfy(\.isHexDigit) {
            for r in latestRecords(store) { for (n, s) in r.stages where s.key.hasPrefix(stage) { candidates.append((r.pipeline, n, s)) } }
        }
        guard !candidates.isEmpty else {
            throw PipelineError.notFound("no stage '\(stage)' in the latest runs recorded in \(store.root.path)")
        }
        guard candidates.count == 1 else {
            throw PipelineError.notFound("'\(stage)' is ambiguous: " + candidates.map { "\($0.pipeline):\($0.name)" }.joined(separator: ", ") + "; write PIPELINE:STAGE")
        }
        let c = candidates[0]
        var lines = ["stage     \(c.pipeline):\(c.name) (uses: \(c.stage.kind), version \(c.stage.version))",
                     "key       \(c.stage.key)", "status    \(c.stage.status) in the latest run"]
        guard let manifest = store.manifest(c.stage.key) else {
            lines.append("artifact  not in the cache (the stage has not completed with this key, or gc removed it)")
            return lines.joined(separator: "\n")
        }
        let dir = store.artifactDirectory(c.stage.key)
        lines.append("artifact  \(dir.path)")
        lines.append("created   \(RunRecord.dateFormatter.string(from: manifest.created))")
        lines.append("files     \(manifest.files.count), \(formatBytes(manifest.bytes))")
        for f in manifest.files.prefix(50) {
            lines.append("  \(formatBytes(f.size).padding(toLength: 10, withPad: " ", startingAt: 0))  \(f.sha256.prefix(12))  \(f.path)")
        }
        if manifest.files.count > 50 { lines.append("  … \(manifest.files.count - 50) more") }
        if !c.stage.metrics.isEmpty {
            lines.append("metrics")
            for (k, v) in c.stage.metrics.sorted(by: { $0.key < $1.key }) { lines.append("  \(k): \(v.display)") }
        }
        if let summary = registry.kind(c.stage.kind)?.describe(dir) {
            lines.append("summary")
            lines.append(summary)
        }
        return lines.joined(separator: "\n")
    }

    public struct GCReport: Sendable {
        public var removedObjects: [String] = []
        public var removedTemporary: [String] = []
        public var removedWork: [String] = []
        public var bytes: Int64 = 0
        public var keptObjects = 0

        public func render(dryRun: Bool) -> String {
            let verb = dryRun ? "would remove" : "removed"
            var lines = removedObjects.map { "\(verb) object \($0)" } + removedTemporary.map { "\(verb) temporary \($0)" }
                + removedWork.map { "\(verb) work directory \($0)" }
            lines.append("\(verb) \(removedObjects.count) object\(removedObjects.count == 1 ? "" : "s") (\(formatBytes(bytes))), \(removedTemporary.count) temporary and \(removedWork.count) work director\(removedWork.count == 1 ? "y" : "ies"); kept \(keptObjects) object\(keptObjects == 1 ? "" : "s")")
            return lines.joined(separator: "\n")
        }
    }

    /// Removes objects that no pipeline's latest run refers to, every temporary directory (the
    /// lock guarantees none is in use), and work directories of unreferenced keys.
    public static func gc(store: ArtifactStore, dryRun: Bool, lockWait: TimeInterval, notice: (String) -> Void) throws -> GCReport {
        let lock = try CacheLock(store: store, command: "finch gc", wait: lockWait, notice: notice)
        defer { lock.release() }
        let fm = FileManager.default
        let referenced = Set(latestRecords(store).flatMap { $0.stages.values.map(\.key) })
        var report = GCReport()
        func remove(_ url: URL) throws { if !dryRun { try fm.removeItem(at: url) } }
        for key in (try? fm.contentsOfDirectory(atPath: store.objects.path))?.sorted() ?? [] {
            if referenced.contains(key) { report.keptObjects += 1; continue }
            report.bytes += store.manifest(key)?.bytes ?? 0
            report.removedObjects.append(key)
            try remove(store.objectDirectory(key))
        }
        for name in (try? fm.contentsOfDirectory(atPath: store.tmp.path))?.sorted() ?? [] {
            report.removedTemporary.append(name)
            try remove(store.tmp.appendingPathComponent(name))
        }
        for key in (try? fm.contentsOfDirectory(atPath: store.work.path))?.sorted() ?? [] where !referenced.contains(key) {
            report.removedWork.append(key)
            try remove(store.workDirectory(key))
        }
        return report
    }
}

func formatBytes(_ n: Int64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var v = Double(n)
    var i = 0
    while v >= 1000, i < units.count - 1 { v /= 1000; i += 1 }
    return i == 0 ? "\(n) B" : String(format: "%.1f", v) + " " + units[i]
}
