import Foundation
import Pipeline

/// `uses: fetch` — a JSON array or JSON Lines dataset of instruction/input/output records.
///
/// Fields (see `FetchConfig`): `url` (https://, file://, hf://owner/repo/path) or `path` (relative to the
/// pipeline file), `sha256` (pin; default none), `format` (auto | json | jsonl; default auto), `fields`
/// (dataset key per record field; default the same names), `limit` (first N records; default all).
///
/// The cache key covers the configuration and, for an unpinned local file, its content (see `localSources`):
/// editing the file reruns the stage. An unpinned remote URL is keyed by the URL alone (fetched once, then
/// reused); pin `sha256:` to notice a change there (the download then fails with a mismatch).
public struct FetchKind: StageKind {
    public struct Configuration: StageConfiguration {
        public var fetch: FetchConfig

        public init(from decoder: Decoder) throws { fetch = try FetchConfig(from: decoder) }
        public func encode(to encoder: Encoder) throws { try fetch.encode(to: encoder) }

        public var references: [StageReference] { [] }

        public func validate() -> [ConfigIssue] {
            var issues: [ConfigIssue] = []
            switch (fetch.url, fetch.path) {
            case (nil, nil): issues.append(ConfigIssue([], SourceError.neitherURLNorPath.errorDescription!))
            case (.some, .some): issues.append(ConfigIssue(["path"], SourceError.bothURLAndPath.errorDescription!))
            case (let u?, nil): issues += SourceFetching.issues(source: u, field: "url")
            case (nil, let p?):
                if p.contains("://") {
                    issues.append(ConfigIssue(["path"], "'\(p)' is a URL; put URLs in `url:` (a `path:` is a file path relative to the pipeline file)"))
                } else {
                    issues += SourceFetching.issues(source: p, field: "path")
                }
            }
            issues += SourceFetching.issues(sha256: fetch.sha256, field: "sha256")
            if let limit = fetch.limit, limit < 0 { issues.append(ConfigIssue(["limit"], FetchError.badLimit(limit).errorDescription!)) }
            let f = fetch.fields
            for (name, key) in [("instruction", f.instruction), ("input", f.input), ("output", f.output)] where key.isEmpty {
                issues.append(ConfigIssue(["fields", name], "`fields.\(name)` must name a key of the dataset"))
            }
            return issues
        }
    }

    public init() {}
    public var name: String { "fetch" }
    public var version: Int { 1 }
    public var produces: ArtifactType { "records" }
    public var summary: String { "instruction records from a JSON/JSONL file or URL" }

    public func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let source = try c.fetch.source(relativeTo: context.pipelineDirectory)
        let file = try SourceFetching.file(source, sha256: c.fetch.sha256, context: context, note: "dataset")
        let data: Data
        do { data = try Data(contentsOf: file) } catch { throw DownloadError.localFileMissing(file) }
        let records = try DatasetParser.parse(data, source: source.description, format: c.fetch.format,
                                              fields: c.fetch.fields, limit: c.fetch.limit)
        try ArtifactFiles.writeRecords(records, to: context.outputDirectory)
        return ["records": .number(Double(records.count)), "sha256": .string(try Downloader.sha256(of: file))]
    }

    public func localSources(_ c: Configuration, pipelineDirectory: URL) -> [LocalSource] {
        let (text, field) = c.fetch.url.map { ($0, "url") } ?? (c.fetch.path, "path")
        return [SourceFetching.unpinnedLocal(text, sha256: c.fetch.sha256, field: field, pipelineDirectory: pipelineDirectory)]
            .compactMap { $0 }
    }

    public func describe(artifact: URL) -> String? {
        (try? ArtifactFiles.readRecords(from: artifact)).map { "\($0.count) records" }
    }
}
