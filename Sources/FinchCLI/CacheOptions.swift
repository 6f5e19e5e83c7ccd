import ArgumentParser
import Foundation
import Pipeline

/// Options every cache-using command shares.
struct CacheOptions: ParsableArguments {
    @Option(name: .customLong("cache-dir"),
            help: "Cache directory (default: $FINCH_CACHE_DIR, else .finch next to the pipeline file or in the working directory).")
    var cacheDir: String?

    @Option(name: .customLong("wait"), help: "Seconds to wait when another run holds the cache lock (default: fail at once).")
    var wait: Double = 0

    func store(pipeline: URL?) -> ArtifactStore { ArtifactStore.resolve(explicit: cacheDir, pipelineFile: pipeline) }
}

/// Prints an error the way `finch` reports it and exits with the matching code.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data((RunOutcome.message(for: error) + "\n").utf8))
    return ExitCode(RunOutcome.exitCode(for: error))
}

func pipelineURL(_ path: String) -> URL { URL(fileURLWithPath: path).standardizedFileURL }
