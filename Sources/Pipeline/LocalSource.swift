import Foundation

/// A local file (or folder) that a stage reads and whose content its configuration does not pin.
/// Stage kinds list these through `StageKind.localSources`; the loader hashes each into the stage's
/// cache key, so editing the file reruns the stage (and everything downstream of it).
public struct LocalSource: Sendable, Equatable {
    /// The configuration field that names it (`path`, `weights`, `dir`, …). Errors point at this field,
    /// and it names the source in the cache key and the run record, so it is unique within a stage.
    public let field: String
    /// Absolute location, resolved from the pipeline file's folder.
    public let url: URL
    /// Whether `url` must be a folder (otherwise it must be a regular file).
    public let isFolder: Bool
    /// Further files the stage reads when they exist: names inside the folder, or beside the file
    /// (e.g. `config.json` beside weights). Which of them exist is part of the hash.
    public let companions: [String]

    /// A file; `companions` are files beside it that the stage also reads when present.
    public static func file(_ url: URL, field: String, alsoReads companions: [String] = []) -> LocalSource {
        LocalSource(field: field, url: url.standardizedFileURL, isFolder: false, companions: companions)
    }

    /// A folder of which the stage reads `files` (those present).
    public static func folder(_ url: URL, field: String, reads files: [String]) -> LocalSource {
        LocalSource(field: field, url: url.standardizedFileURL, isFolder: true, companions: files)
    }

    /// A path as written in a pipeline: `~` expanded, absolute paths kept, relative ones taken from
    /// `directory` (the pipeline file's folder).
    public static func resolve(path: String, relativeTo directory: URL) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded).standardizedFileURL
            : directory.appendingPathComponent(expanded).standardizedFileURL
    }
}

/// The content hash a stage's key used for one `LocalSource`; recorded per stage in run records
/// (`local_files`, by field).
public struct LocalFileHash: Codable, Sendable, Equatable {
    /// Absolute path of the file or folder.
    public var path: String
    /// SHA-256 (hex) of the file's bytes; for a folder, or a file read with companions, the SHA-256 of
    /// the `sha256sum`-style listing of the files read (`<hex>  <name>\n`, sorted by name).
    public var sha256: String
    /// The listed files' own hashes by name (only for folders and files read with companions).
    public var files: [String: String]?

    public init(path: String, sha256: String, files: [String: String]? = nil) {
        self.path = path
        self.sha256 = sha256
        self.files = files
    }

    /// `path` relative to `directory` when it lies below it (as users write it), else absolute.
    public func displayPath(relativeTo directory: URL) -> String {
        LocalFileHash.display(path, relativeTo: directory)
    }

    static func display(_ path: String, relativeTo directory: URL) -> String {
        let base = directory.standardizedFileURL.path
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
