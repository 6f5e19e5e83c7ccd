import Crypto
import Foundation

/// Hashes the `LocalSource`s of a pipeline's stages for their cache keys, through the memo in the cache
/// directory (`LocalHashMemo`). One hasher serves one load of a pipeline.
final class LocalFileHasher {
    /// A file modified this recently is hashed but not remembered: a second write within the
    /// filesystem's timestamp granularity could leave size, mtime and inode unchanged.
    static let settleSeconds: Int64 = 2

    private let cacheDirectory: URL?
    private var memo: LocalHashMemo?
    /// Files hashed by this hasher, so a file several stages read is read once per load even when it
    /// is too fresh for the memo.
    private var seen: [String: (FileIdentity, String)] = [:]
    /// Files whose bytes were read (memo misses), for tests.
    private(set) var filesRead = 0

    /// Without a cache directory nothing is remembered.
    init(cacheDirectory: URL?) {
        self.cacheDirectory = cacheDirectory
    }

    func hash(_ source: LocalSource) throws -> LocalFileHash {
        guard let id = FileIdentity(path: source.url.path) else { throw LocalSourceProblem.missing }
        if source.isFolder {
            guard id.isDirectory else { throw LocalSourceProblem.notAFolder }
            return try listing(source.url, names: source.companions, directory: source.url)
        }
        guard id.isRegularFile else { throw id.isDirectory ? LocalSourceProblem.isAFolder : LocalSourceProblem.notAFile }
        if source.companions.isEmpty {
            return LocalFileHash(path: source.url.path, sha256: try fileHash(source.url, identity: id))
        }
        let folder = source.url.deletingLastPathComponent()
        return try listing(source.url, names: [source.url.lastPathComponent] + source.companions, directory: folder)
    }

    /// Writes the memo if anything new was learnt.
    func save() {
        memo?.save()
    }

    /// A folder or a file with companions: the hash of the `sha256sum`-style listing of the named files
    /// that exist (a missing companion is simply not listed, so adding one changes the hash).
    private func listing(_ url: URL, names: [String], directory: URL) throws -> LocalFileHash {
        var files: [String: String] = [:]
        for name in Set(names) {
            let file = directory.appendingPathComponent(name)
            guard let id = FileIdentity(path: file.path), id.isRegularFile else { continue }
            files[name] = try fileHash(file, identity: id)
        }
        var text = ""
        for name in files.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            text += "\(files[name]!)  \(name)\n"
        }
        return LocalFileHash(path: url.path, sha256: Self.hex(SHA256.hash(data: Data(text.utf8))), files: files)
    }

    private func fileHash(_ url: URL, identity: FileIdentity) throws -> String {
        let path = url.path
        if memo == nil, let cacheDirectory { memo = LocalHashMemo(cacheDirectory: cacheDirectory) }
        if let (id, hex) = seen[path], id == identity { return hex }
        if let known = memo?.hash(path: path, stat: identity) { return known }
        let start = Int64(Date().timeIntervalSince1970 * 1e9)
        let hex = try Self.sha256(of: path)
        filesRead += 1
        seen[path] = (identity, hex)
        // Remember only what was stable while read and is not too fresh to trust its timestamp.
        if FileIdentity(path: path) == identity, identity.mtimeNs < start - Self.settleSeconds * 1_000_000_000 {
            memo?.remember(path: path, stat: identity, sha256: hex)
        }
        return hex
    }

    static func sha256(of path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LocalSourceProblem.unreadable(String(cString: strerror(errno))) }
        defer { close(fd) }
        var hasher = SHA256()
        let size = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, size)
            if n < 0 {
                if errno == EINTR { continue }
                throw LocalSourceProblem.unreadable(String(cString: strerror(errno)))
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hex(hasher.finalize())
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// Why a local source cannot be hashed; the loader turns it into a diagnostic at the source's field.
enum LocalSourceProblem: Error, Equatable {
    case missing
    case isAFolder
    case notAFile
    case notAFolder
    case unreadable(String)

    /// The message for stage `stage`, whose configuration names `source` in `field`.
    func message(stage: String, source: LocalSource, pipelineDirectory: URL) -> String {
        let shown = LocalFileHash.display(source.url.path, relativeTo: pipelineDirectory)
        let what = source.isFolder ? "local folder" : "local file"
        let field = "`\(source.field):`"
        let relative = "a relative path starts at the pipeline file's folder, \(pipelineDirectory.standardizedFileURL.path)"
        switch self {
        case .missing:
            return "stage '\(stage)': \(what) '\(shown)' named by \(field) does not exist (\(source.url.path)); "
                + "create it or correct \(field) (\(relative))"
        case .isAFolder:
            return "stage '\(stage)': \(field) names '\(shown)', which is a folder; give a file (\(source.url.path))"
        case .notAFile:
            return "stage '\(stage)': \(field) names '\(shown)', which is not a regular file (\(source.url.path))"
        case .notAFolder:
            return "stage '\(stage)': \(field) names '\(shown)', which is not a folder (\(source.url.path))"
        case .unreadable(let why):
            return "stage '\(stage)': cannot read \(what) '\(shown)' named by \(field): \(why); check its permissions"
        }
    }
}

/// A local source changed between planning and the end of its stage: the output is not committed,
/// since its key names the old content.
public struct LocalSourceChanged: LocalizedError, Equatable {
    public let path: String
    public let field: String

    public var errorDescription: String? {
        "local file \(path) (`\(field):`) changed while the pipeline ran; nothing was committed for this stage, run again to use the new content"
    }
}
