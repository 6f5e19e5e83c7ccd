import Foundation

/// Runs a pipeline: validates it, then executes stages in dependency order, reusing committed
/// objects whose key is unchanged, and writes a run record.
public struct PipelineRunner: Sendable {
    public struct Options: Sendable {
        public var cacheDirectory: String?
        public var overrides: [String] = []
        /// Run only this stage and what it needs.
        public var until: String?
        /// Rerun these stages and everything downstream of them.
        public var force: [String] = []
        /// How long to wait for another run holding the cache lock.
        public var lockWait: TimeInterval = 0

        public init(cacheDirectory: String? = nil, overrides: [String] = [], until: String? = nil,
                    force: [String] = [], lockWait: TimeInterval = 0) {
            self.cacheDirectory = cacheDirectory
            self.overrides = overrides
            self.until = until
            self.force = force
            self.lockWait = lockWait
        }
    }

    public let registry: StageRegistry
    /// Recorded in run records, e.g. "finch 0.1.0".
    public let tool: String

    public init(registry: StageRegistry, tool: String) {
        self.registry = registry
        self.tool = tool
    }

    /// Throws `SpecErrors` / `PipelineError` for invalid input (nothing ran); otherwise returns
    /// the run record, whose `exitStatus` is 0, 1 (a stage failed) or 130 (interrupted).
    public func run(file: URL, options: Options, observer: RunObserver, cancel: CancellationFlag = CancellationFlag()) throws -> RunRecord {
        let store = ArtifactStore.resolve(explicit: options.cacheDirectory, pipelineFile: file)
        let definition = try PipelineLoader(registry: registry).load(file: file, overrides: options.overrides, cacheDirectory: store.root)
        let names = definition.stages.map(\.name)
        for n in [options.until].compactMap({ $0 }) + options.force where definition.stage(n) == nil {
            throw PipelineError.unknownStage(n, names)
        }
        let lock = try CacheLock(store: store, command: "finch run \(file.lastPathComponent)", wait: options.lockWait,
                                 notice: observer.message)
        defer { lock.release() }
        return try execute(definition, store: store, options: options, observer: observer, cancel: cancel)
    }

    func execute(_ def: PipelineDefinition, store: ArtifactStore, options: Options, observer: RunObserver,
                 cancel: CancellationFlag) throws -> RunRecord {
        let started = Date()
        let selected = options.until.map { def.upstream(of: $0) } ?? Set(def.order)
        var forced: Set<String> = []
        for f in options.force { forced.formUnion(def.downstream(of: f)) }
        var record = RunRecord(id: RunRecord.newID(started), pipeline: def.name, file: def.file.standardizedFileURL.path,
                               tool: tool, started: started, seconds: 0, status: "succeeded", exitStatus: 0,
                               overrides: def.overrides, until: options.until, force: options.force,
                               spec: def.resolvedSpec, stages: [:])
        var stopped = false
        for name in def.order {
            let s = def.stage(name)!
            let inputs = Dictionary(uniqueKeysWithValues: s.dependencies.map { ($0, def.stage($0)!.key) })
            var entry = RunRecord.Stage(kind: s.kind, version: s.version, key: s.key, inputs: inputs, status: "skipped",
                                        seconds: 0, metrics: [:], error: nil, localFiles: s.localFiles.isEmpty ? nil : s.localFiles)
            defer { record.stages[name] = entry }
            if stopped || !selected.contains(name) { continue }
            if cancel.isCancelled {
                stopped = true
                record.status = "interrupted"
                record.exitStatus = 130
                continue
            }
            if store.contains(s.key) && !forced.contains(name) {
                entry.status = "cached"
                entry.metrics = Self.previousMetrics(store: store, pipeline: def.name, stage: name, key: s.key)
                observer.stageCached(name, kind: s.kind)
                continue
            }
            observer.stageStarted(name, kind: s.kind)
            let t0 = Date()
            do {
                let snapshot = RunSnapshot(pipeline: def.name, runID: record.id, spec: record.spec, order: def.order,
                                           finished: record.stages.filter { ["ran", "cached"].contains($0.value.status) })
                entry.metrics = try runStage(s, def: def, store: store, run: snapshot, replace: forced.contains(name),
                                             observer: observer, cancel: cancel)
                entry.status = "ran"
                entry.seconds = Date().timeIntervalSince(t0)
                observer.stageFinished(name, status: "ran", seconds: entry.seconds, error: nil)
            } catch {
                entry.seconds = Date().timeIntervalSince(t0)
                entry.status = "failed"
                stopped = true
                if error is StageCancelled || cancel.isCancelled {
                    entry.error = "interrupted"
                    record.status = "interrupted"
                    record.exitStatus = 130
                } else {
                    entry.error = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                    record.status = "failed"
                    record.exitStatus = 1
                }
                observer.stageFinished(name, status: "failed", seconds: entry.seconds, error: entry.error)
            }
        }
        record.seconds = Date().timeIntervalSince(started)
        try record.write(to: store)
        return record
    }

    private func runStage(_ s: ResolvedStage, def: PipelineDefinition, store: ArtifactStore, run: RunSnapshot, replace: Bool,
                          observer: RunObserver, cancel: CancellationFlag) throws -> [String: JSONValue] {
        let staging = try store.makeStaging(for: s.key)
        let work = store.workDirectory(s.key)
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let inputs = Dictionary(uniqueKeysWithValues: s.dependencies.map { ($0, store.artifactDirectory(def.stage($0)!.key)) })
            let context = StageContext(stageName: s.name, outputDirectory: staging.appendingPathComponent("artifact"),
                                       workDirectory: work, inputs: inputs, pipelineDirectory: def.directory, seed: def.seed,
                                       cacheDirectory: store.root, run: run,
                                       progress: { observer.stageProgress(s.name, $0) },
                                       cancelled: { cancel.isCancelled }, log: { observer.message("\(s.name): \($0)") })
            let metrics = try s.implementation.run(s.configuration, context)
            try Self.checkLocalFiles(of: s, def: def, store: store)
            // Metrics go into the object too, so `cached` entries of later runs can repeat them.
            let metricsData = try RunRecord.encoder.encode(metrics)
            try metricsData.write(to: staging.appendingPathComponent("metrics.json"))
            try store.commit(staging: staging, key: s.key, replace: replace)
            try? FileManager.default.removeItem(at: work)
            return metrics
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    /// The object is committed under a key that names the local files' content as hashed when the
    /// pipeline was loaded; a file edited since (while earlier stages or this one ran) would file the
    /// new content under the old key. Unchanged files cost a `stat` each (the memo answers).
    static func checkLocalFiles(of s: ResolvedStage, def: PipelineDefinition, store: ArtifactStore) throws {
        guard !s.localFiles.isEmpty else { return }
        let hasher = LocalFileHasher(cacheDirectory: store.root)
        defer { hasher.save() }
        for source in s.implementation.localSources(s.configuration, def.directory) {
            guard let expected = s.localFiles[source.field] else { continue }
            let now = try? hasher.hash(source)
            if now?.sha256 != expected.sha256 {
                throw LocalSourceChanged(path: expected.displayPath(relativeTo: def.directory), field: source.field)
            }
        }
    }

    /// The metrics stored beside a committed object (a small file, not the artifact).
    static func previousMetrics(store: ArtifactStore, pipeline: String, stage: String, key: String) -> [String: JSONValue] {
        let url = store.objectDirectory(key).appendingPathComponent("metrics.json")
        guard let data = try? Data(contentsOf: url) else { return [:] }
        return (try? JSONDecoder().decode([String: JSONValue].self, from: data)) ?? [:]
    }
}
