import Crypto
import Foundation

/// A validated pipeline: typed stage configurations, the DAG, and every stage's cache key.
public struct PipelineDefinition: Sendable {
    public let file: URL
    public var directory: URL { file.deletingLastPathComponent() }
    public let name: String
    public let seed: UInt64
    /// Stages in file order.
    public let stages: [ResolvedStage]
    /// Stage names in execution order (dependencies first, file order among equals).
    public let order: [String]
    /// The `--set` arguments applied, as given.
    public let overrides: [String]

    public func stage(_ name: String) -> ResolvedStage? { stages.first { $0.name == name } }

    /// The stage and everything it needs, transitively.
    public func upstream(of name: String) -> Set<String> {
        var seen: Set<String> = []
        var todo = [name]
        while let n = todo.popLast() {
            guard seen.insert(n).inserted, let s = stage(n) else { continue }
            todo += s.dependencies
        }
        return seen
    }

    /// The stage and everything that depends on it, transitively.
    public func downstream(of name: String) -> Set<String> {
        var seen: Set<String> = [name]
        for n in order where !seen.contains(n) {
            if stage(n)!.dependencies.contains(where: seen.contains) { seen.insert(n) }
        }
        return seen
    }

    /// The resolved specification recorded in run records.
    public var resolvedSpec: JSONValue {
        var stagesJSON: [String: JSONValue] = [:]
        for s in stages {
            stagesJSON[s.name] = .object(["uses": .string(s.kind), "config": s.configJSON])
        }
        return .object(["name": .string(name), "seed": .number(Double(seed)), "stages": .object(stagesJSON)])
    }
}

/// One stage after validation.
public struct ResolvedStage: Sendable {
    public let name: String
    /// The `uses:` name.
    public let kind: String
    public let version: Int
    public let produces: ArtifactType
    public let usesSeed: Bool
    public let configuration: any StageConfiguration
    /// The configuration with defaults filled in, as JSON.
    public let configJSON: JSONValue
    /// Referenced stage names, unique, in declaration order.
    public let dependencies: [String]
    /// SHA-256 (hex) of the canonical key document; see `keyDocument`.
    public internal(set) var key: String = ""
    /// The canonical JSON that was hashed into `key`.
    public internal(set) var keyDocument: JSONValue = .null
    /// Content hashes of the stage's unpinned local sources (`StageKind.localSources`), by field.
    public internal(set) var localFiles: [String: LocalFileHash] = [:]
    let implementation: AnyStageKind
}

enum CacheKey {
    /// {kind, implementation version, resolved configuration, input keys, seed where used, content hashes
    /// of unpinned local sources where there are any}.
    static func document(for s: ResolvedStage, inputKeys: [String: String], seed: UInt64) -> JSONValue {
        var doc: [String: JSONValue] = [
            "kind": .string(s.kind),
            "version": .number(Double(s.version)),
            "config": s.configJSON,
            "inputs": .object(inputKeys.mapValues { .string($0) }),
        ]
        // Seeds above 2^53 would lose precision as JSON numbers; a string keeps them exact.
        if s.usesSeed { doc["seed"] = .string(String(seed)) }
        // Absent rather than empty, so stages without local sources keep the keys they always had.
        if !s.localFiles.isEmpty { doc["local_files"] = .object(s.localFiles.mapValues { .string($0.sha256) }) }
        return .object(doc)
    }

    static func hash(_ doc: JSONValue) -> String {
        SHA256.hash(data: Data(doc.canonicalJSON.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
