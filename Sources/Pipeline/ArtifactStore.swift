import Crypto
import Foundation

/// The content-addressed cache directory:
///
///     objects/<key>/artifact/…      a committed stage output (immutable)
///     objects/<key>/manifest.json   its files with sizes and SHA-256, written before the commit
///     tmp/<key>.<pid>.<uuid>/       a stage being written; renamed into objects/ on success
///     work/<key>/                   resumable state of an unfinished stage
///     runs/<pipeline>/<run-id>.json run records
///     lock                          the cache lock
///
/// The rename of a finished temporary directory into `objects/<key>` is the only commit point, so
/// a crash at any moment leaves only complete objects (plus orphaned `tmp/` entries for `finch gc`).
public struct ArtifactStore: Sendable {
    public let root: URL
    public var objects: URL { root.appendingPathComponent("objects") }
    public var tmp: URL { root.appendingPathComponent("tmp") }
    public var work: URL { root.appendingPathComponent("work") }
    public var runs: URL { root.appendingPathComponent("runs") }

    public init(root: URL) { self.root = root }

    /// `--cache-dir`, else `FINCH_CACHE_DIR`, else `.finch` next to the pipeline file (or in the
    /// working directory when there is no pipeline file).
    public static func resolve(explicit: String?, pipelineFile: URL?) -> ArtifactStore {
        let fm = FileManager.default
        if let explicit, !explicit.isEmpty { return ArtifactStore(root: URL(fileURLWithPath: explicit).standardizedFileURL) }
        if let env = ProcessInfo.processInfo.environment["FINCH_CACHE_DIR"], !env.isEmpty {
            return ArtifactStore(root: URL(fileURLWithPath: env).standardizedFileURL)
        }
        let base = pipelineFile?.deletingLastPathComponent() ?? URL(fileURLWithPath: fm.currentDirectoryPath)
        return ArtifactStore(root: base.appendingPathComponent(".finch").standardizedFileURL)
    }

    func prepare() throws {
        for d in [objects, tmp, work, runs] {
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        }
    }

    public func objectDirectory(_ key: String) -> URL { objects.appendingPathComponent(key) }
    public func artifactDirectory(_ key: String) -> URL { objectDirectory(key).appendingPathComponent("artifact") }
    public func workDirectory(_ key: String) -> URL { work.appendingPathComponent(key) }

    /// Whether a committed object exists: one `stat`, nothing is read.
    public func contains(_ key: String) -> Bool {
        FileManager.default.fileExists(atPath: objectDirectory(key).appendingPathComponent("manifest.json").path)
    }

    public func manifest(_ key: String) -> Manifest? {
        guard let data = try? Data(contentsOf: objectDirectory(key).appendingPathComponent("manifest.json")) else { return nil }
        return try? JSONDecoder().decode(Manifest.self, from: data)
    }

    /// A fresh temporary directory for a stage's output; the stage writes into `…/artifact`.
    func makeStaging(for key: String) throws -> URL {
        let dir = tmp.appendingPathComponent("\(key).\(getpid()).\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("artifact"), withIntermediateDirectories: true)
        return dir
    }

    /// Hashes the staged files once, writes the manifest, and renames the directory into place.
    /// With `replace` (a forced rerun) an existing object is moved aside first.
    @discardableResult
    func commit(staging: URL, key: String, replace: Bool) throws -> Manifest {
        let fm = FileManager.default
        let artifact = staging.appendingPathComponent("artifact")
        let manifest = try Manifest.build(key: key, directory: artifact)
        let data = try Self.prettyEncoder.encode(manifest)
        try Self.writeDurably(data, to: staging.appendingPathComponent("manifest.json"))
        let target = objectDirectory(key)
        if fm.fileExists(atPath: target.path) {
            guard replace else {
                // Someone committed the same key meanwhile: objects are immutable, keep theirs.
                try? fm.removeItem(at: staging)
                return manifest
            }
            let aside = tmp.appendingPathComponent("replaced.\(key).\(UUID().uuidString.prefix(8))")
            try fm.moveItem(at: target, to: aside)
            try? fm.removeItem(at: aside)
        }
        guard rename(staging.path, target.path) == 0 else {
            throw PipelineError.io("cannot commit \(staging.path) to \(target.path): \(String(cString: strerror(errno)))")
        }
        Self.syncDirectory(objects)
        return manifest
    }

    static let prettyEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// Writes then fsyncs a small file, so a manifest is on disk before the rename that commits it.
    static func writeDurably(_ data: Data, to url: URL) throws {
        try data.write(to: url)
        let fd = open(url.path, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}

/// What a committed object holds; written once at commit, never recomputed.
public struct Manifest: Codable, Sendable {
    public struct File: Codable, Sendable {
        public let path: String
        public let size: Int64
        public let sha256: String
    }

    public let key: String
    public let files: [File]
    public let bytes: Int64
    public let created: Date

    static func build(key: String, directory: URL) throws -> Manifest {
        let fm = FileManager.default
        var files: [File] = []
        let base = directory.standardizedFileURL.path
        guard let e = fm.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return Manifest(key: key, files: [], bytes: 0, created: Date())
        }
        for case let url as URL in e {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = url.standardizedFileURL.path
            let rel = path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : url.lastPathComponent
            let (size, digest) = try hashFile(url)
            files.append(File(path: rel, size: size, sha256: digest))
        }
        files.sort { $0.path < $1.path }
        return Manifest(key: key, files: files, bytes: files.reduce(0) { $0 + $1.size }, created: Date())
    }

    static func hashFile(_ url: URL) throws -> (Int64, String) {
        let h = try FileHandle(forReadingFrom: url)
        defer { try? h.close() }
        var sha = SHA256()
        var size: Int64 = 0
        while let chunk = try h.read(upToCount: 1 << 20), !chunk.isEmpty {
            sha.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (size, sha.finalize().map { String(format: "%02x", $0) }.joined())
    }
}
