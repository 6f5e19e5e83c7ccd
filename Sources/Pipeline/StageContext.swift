import Foundation

/// Everything a running stage may use. Stages write only into `outputDirectory` (and `workDirectory`).
public final class StageContext: @unchecked Sendable {
    /// The stage's name in the pipeline.
    public let stageName: String
    /// A fresh, empty directory; its content becomes the committed artifact.
    public let outputDirectory: URL
    /// Resumable state keyed by the stage's cache key; survives crashes, removed after commit.
    public let workDirectory: URL
    /// Committed artifact directories of the referenced stages, by stage name.
    public let inputs: [String: URL]
    /// The pipeline file's directory, to resolve relative paths.
    public let pipelineDirectory: URL
    /// The pipeline seed.
    public let seed: UInt64
    /// The cache directory (`.finch/`, `--cache-dir` or `$FINCH_CACHE_DIR`). Stages may keep caches
    /// shared across keys below it in a folder named after them (e.g. `downloads/`); the engine owns
    /// `objects/`, `tmp/`, `work/`, `runs/` and `lock`.
    public let cacheDirectory: URL
    /// The run so far, for stages that summarise the pipeline (the report).
    public let run: RunSnapshot
    private let progressSink: (StageProgress) -> Void
    private let cancelled: () -> Bool
    private let logSink: (String) -> Void

    init(stageName: String, outputDirectory: URL, workDirectory: URL, inputs: [String: URL], pipelineDirectory: URL,
         seed: UInt64, cacheDirectory: URL, run: RunSnapshot, progress: @escaping (StageProgress) -> Void,
         cancelled: @escaping () -> Bool, log: @escaping (String) -> Void) {
        self.stageName = stageName
        self.outputDirectory = outputDirectory
        self.workDirectory = workDirectory
        self.inputs = inputs
        self.pipelineDirectory = pipelineDirectory
        self.seed = seed
        self.cacheDirectory = cacheDirectory
        self.run = run
        progressSink = progress
        self.cancelled = cancelled
        logSink = log
    }

    /// The committed artifact directory of a referenced stage.
    public func input(_ ref: StageRef) -> URL {
        guard let url = inputs[ref.name] else {
            preconditionFailure("stage \(stageName) asked for '\(ref.name)', which is not among its declared references")
        }
        return url
    }

    /// Reports progress: `step` of `total` (`unit` names what is counted, e.g. "step", "item").
    public func progress(_ step: Int, of total: Int, unit: String = "step", note: String? = nil) {
        progressSink(StageProgress(step: step, total: total, unit: unit, note: note))
    }

    /// True once the user asked to stop (Ctrl-C): finish the current unit of work and return.
    public var isCancelled: Bool { cancelled() }

    /// Throws `StageCancelled` when the user asked to stop; call between units of work.
    public func checkCancellation() throws {
        if cancelled() { throw StageCancelled() }
    }

    /// A line of output shown above the progress display.
    public func log(_ message: String) { logSink(message) }
}

/// What a stage may know about the run it is part of: the resolved specification (as in the run
/// record) and the entries of the stages that finished before it in this run. A cached stage's entry
/// has `seconds == 0`; the run records under `cacheDirectory/runs` hold the run that made it.
public struct RunSnapshot: Sendable {
    /// The pipeline's name.
    public let pipeline: String
    /// The run record's id.
    public let runID: String
    /// `{name, seed, stages: {NAME: {uses, config}}}` with defaults filled in.
    public let spec: JSONValue
    /// Stage names in execution order (every stage of the pipeline).
    public let order: [String]
    /// Record entries of the stages finished so far in this run ("ran" or "cached"), by name.
    public let finished: [String: RunRecord.Stage]

    public init(pipeline: String, runID: String, spec: JSONValue, order: [String], finished: [String: RunRecord.Stage]) {
        self.pipeline = pipeline
        self.runID = runID
        self.spec = spec
        self.order = order
        self.finished = finished
    }
}

public struct StageProgress: Sendable {
    public let step: Int
    public let total: Int
    public let unit: String
    public let note: String?
}

/// Thrown by `checkCancellation()`; the runner stops cleanly and exits with 130.
public struct StageCancelled: LocalizedError {
    public init() {}
    public var errorDescription: String? { "interrupted" }
}

extension StageContext {
    /// A path from the pipeline file, resolved: `~` expanded, absolute paths stay, relative ones are
    /// taken from the pipeline file's directory (as `LocalSource.resolve`, so planning and running agree).
    public func resolve(path: String) -> URL {
        LocalSource.resolve(path: path, relativeTo: pipelineDirectory)
    }
}
