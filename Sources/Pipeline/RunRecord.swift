import Foundation

/// `.finch/runs/<pipeline>/<run-id>.json`: what ran, with which configuration, and what came out.
/// The format is documented in docs/pipelines.md; keys are snake_case and stable.
public struct RunRecord: Codable, Sendable {
    public struct Stage: Codable, Sendable {
        public var kind: String
        public var version: Int
        public var key: String
        /// Keys of the referenced stages' artifacts, by stage name.
        public var inputs: [String: String]
        /// "cached", "ran", "failed" or "skipped".
        public var status: String
        public var seconds: Double
        public var metrics: [String: JSONValue]
        public var error: String?
        /// The content hashes its key used for unpinned local sources, by configuration field; absent
        /// when it has none (and in records written before Finch hashed local sources).
        public var localFiles: [String: LocalFileHash]? = nil

        enum CodingKeys: String, CodingKey {
            case kind, version, key, inputs, status, seconds, metrics, error
            case localFiles = "local_files"
        }
    }

    public var id: String
    public var pipeline: String
    /// Absolute path of the pipeline file.
    public var file: String
    public var tool: String
    public var started: Date
    public var seconds: Double
    /// "succeeded", "failed" or "interrupted".
    public var status: String
    public var exitStatus: Int32
    public var overrides: [String]
    public var until: String?
    public var force: [String]
    /// {name, seed, stages: {NAME: {uses, config}}} with every default filled in.
    public var spec: JSONValue
    public var stages: [String: Stage]

    enum CodingKeys: String, CodingKey {
        case id, pipeline, file, tool, started, seconds, status, overrides, until, force, spec, stages
        case exitStatus = "exit_status"
    }

    static let dateFormatter: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f
    }()

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }

    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }

    /// Run ids sort in time order: UTC time to the millisecond plus the pid.
    static func newID(_ date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss-SSS"
        return f.string(from: date) + "-\(getpid())"
    }

    func write(to store: ArtifactStore) throws {
        let dir = store.runs.appendingPathComponent(pipeline)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let data = try Self.encoder.encode(self)
        let tmp = dir.appendingPathComponent(".\(id).json.tmp")
        try ArtifactStore.writeDurably(data, to: tmp)
        guard rename(tmp.path, dir.appendingPathComponent("\(id).json").path) == 0 else {
            throw PipelineError.io("cannot write run record in \(dir.path): \(String(cString: strerror(errno)))")
        }
    }
}

/// The run records of a cache directory.
public struct RunHistory: Sendable {
    public let store: ArtifactStore

    public init(store: ArtifactStore) { self.store = store }

    public var pipelines: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store.runs.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Records of one pipeline (or all), oldest first.
    public func records(pipeline: String? = nil) -> [RunRecord] {
        let names = pipeline.map { [$0] } ?? pipelines
        var out: [RunRecord] = []
        for p in names {
            let dir = store.runs.appendingPathComponent(p)
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where f.hasSuffix(".json") && !f.hasPrefix(".") {
                if let data = try? Data(contentsOf: dir.appendingPathComponent(f)),
                   let r = try? RunRecord.decoder.decode(RunRecord.self, from: data) {
                    out.append(r)
                }
            }
        }
        return out.sorted { ($0.started, $0.id) < ($1.started, $1.id) }
    }

    public func latest(pipeline: String) -> RunRecord? { records(pipeline: pipeline).last }

    /// A run by id or unique id prefix.
    public func find(_ id: String) throws -> RunRecord {
        let all = records()
        if let exact = all.first(where: { $0.id == id }) { return exact }
        let matches = all.filter { $0.id.hasPrefix(id) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw PipelineError.notFound("no run '\(id)' in \(store.runs.path); `finch runs` lists them") }
        throw PipelineError.notFound("run id '\(id)' is ambiguous: \(matches.map(\.id).joined(separator: ", "))")
    }
}
