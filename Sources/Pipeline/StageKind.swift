import Foundation

/// What a stage produces and a reference may require (`model`, `records`, …). The engine treats
/// these as opaque names; the stage kinds give them meaning.
public struct ArtifactType: RawRepresentable, Hashable, Codable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ name: String) { rawValue = name }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }
}

/// The configuration of a stage kind: every field after `uses:` in the stage's YAML mapping.
///
/// Write `init(from:)` by hand with `decodeIfPresent(…) ?? default` (or `c.value(key, default:)`)
/// for every optional field, so that defaults are documented in one place and the resolved
/// configuration (defaults included) is what `encode(to:)` writes into the cache key.
public protocol StageConfiguration: Codable, Sendable {
    /// The references this configuration makes, each with the artifact types it accepts
    /// (empty = any). The DAG is built from these.
    var references: [StageReference] { get }

    /// Semantic checks beyond types (ranges, sums); each issue names the field path it is about.
    func validate() -> [ConfigIssue]
}

extension StageConfiguration {
    public func validate() -> [ConfigIssue] { [] }
}

/// One reference field: `model: base` must point at a stage producing `model`.
public struct StageReference: Sendable {
    public let ref: StageRef
    public let accepts: [ArtifactType]

    public init(_ ref: StageRef, accepts: [ArtifactType] = []) {
        self.ref = ref
        self.accepts = accepts
    }
}

/// A semantic problem with a configuration value, reported at `path` (field names and list
/// indices below the stage; an absent field is reported at the stage's name).
public struct ConfigIssue: Sendable {
    public let path: [String]
    public let message: String

    public init(_ path: [String], _ message: String) {
        self.path = path
        self.message = message
    }
}

/// A stage kind: the implementation behind one `uses:` name.
public protocol StageKind: Sendable {
    associatedtype Configuration: StageConfiguration

    /// The `uses:` name.
    var name: String { get }
    /// Bump when the output for the same configuration changes; part of the cache key.
    var version: Int { get }
    /// What the stage's artifact is.
    var produces: ArtifactType { get }
    /// Whether the pipeline seed enters the cache key (stages that shuffle, sample or init weights).
    var usesSeed: Bool { get }
    /// One line for `finch dag` and errors.
    var summary: String { get }

    /// Writes the artifact into `context.outputDirectory`; returns metrics for the run record.
    func run(_ configuration: Configuration, context: StageContext) throws -> [String: JSONValue]

    /// A short description of a committed artifact for `finch show` (nil: the file list suffices).
    func describe(artifact: URL) -> String?

    /// The local files (or folders) the stage reads whose content the configuration does not pin
    /// (no `sha256:`), resolved from `pipelineDirectory`. Before anything runs the engine hashes each
    /// into the stage's cache key (remembered in the cache directory by path, size, mtime and inode),
    /// reports a missing one as a validation error at its field, and records the hashes in the run
    /// record. Remote sources are not listed: fetching them to plan would defeat the cache. Default: none.
    func localSources(_ configuration: Configuration, pipelineDirectory: URL) -> [LocalSource]
}

extension StageKind {
    public var usesSeed: Bool { false }
    public var summary: String { "" }
    public func describe(artifact: URL) -> String? { nil }
    public func localSources(_ configuration: Configuration, pipelineDirectory: URL) -> [LocalSource] { [] }
}

/// A reference to another stage by name. It decodes from a YAML string and remembers where it was
/// written so errors about it point there; it encodes as the plain name.
public struct StageRef: Codable, Hashable, Sendable, CustomStringConvertible {
    public let name: String
    let location: SourceLocation?

    public init(_ name: String) {
        self.name = name
        location = nil
    }

    public init(from decoder: Decoder) throws {
        name = try decoder.singleValueContainer().decode(String.self)
        location = (decoder as? NodeDecoder)?.node.location
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }

    public static func == (a: StageRef, b: StageRef) -> Bool { a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(name) }
    public var description: String { name }
}

/// Enumerations in configurations (`kind: adamw`) list their choices in errors when they adopt this.
public protocol ConfigChoices {
    static var choices: [String] { get }
}

extension ConfigChoices where Self: CaseIterable & RawRepresentable, RawValue == String {
    public static var choices: [String] { allCases.map(\.rawValue) }
}

extension KeyedDecodingContainer {
    /// A field with a default: absent (or null) gives `default`.
    public func value<T: Decodable>(_ key: Key, default value: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? value()
    }
}
