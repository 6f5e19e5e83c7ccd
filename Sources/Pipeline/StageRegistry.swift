import Foundation

/// Maps `uses:` names to stage kinds. The `Stages` module fills one with the real kinds; tests and
/// benchmarks fill their own.
public struct StageRegistry: Sendable {
    private(set) var kinds: [String: AnyStageKind] = [:]

    public init() {}

    /// Adds a stage kind; a later registration under the same name replaces the earlier one.
    public mutating func register<K: StageKind>(_ kind: K) {
        kinds[kind.name] = AnyStageKind(kind)
    }

    public var names: [String] { kinds.keys.sorted() }

    func kind(_ name: String) -> AnyStageKind? { kinds[name] }
}

/// A stage kind with its configuration type erased, so the engine can hold many kinds.
struct AnyStageKind: Sendable {
    let name: String
    let version: Int
    let produces: ArtifactType
    let usesSeed: Bool
    let summary: String
    let decode: @Sendable (NodeDecoder) throws -> any StageConfiguration
    let run: @Sendable (any StageConfiguration, StageContext) throws -> [String: JSONValue]
    let describe: @Sendable (URL) -> String?
    let localSources: @Sendable (any StageConfiguration, URL) -> [LocalSource]

    init<K: StageKind>(_ kind: K) {
        name = kind.name
        version = kind.version
        produces = kind.produces
        usesSeed = kind.usesSeed
        summary = kind.summary
        decode = { decoder in try decoder.decode(K.Configuration.self) }
        run = { configuration, context in
            // The engine only hands a kind configurations that this kind decoded.
            try kind.run(configuration as! K.Configuration, context: context)
        }
        describe = { kind.describe(artifact: $0) }
        localSources = { configuration, directory in
            kind.localSources(configuration as! K.Configuration, pipelineDirectory: directory)
        }
    }
}
