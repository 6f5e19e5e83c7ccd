import Foundation

/// `<cache>/local-hashes.json`: content hashes of local source files, remembered by (absolute path, size,
/// modification time in ns, inode) so that planning a pipeline with multi-GB local weights does not
/// re-read them. A file whose identity changed in any of those is hashed again.
///
/// The memo is only an accelerator: an unreadable or corrupt file counts as empty (and is rewritten),
/// and failing to write it is not an error. Writes go to a temporary file renamed into place, so
/// concurrent writers lose at most each other's new entries, never corrupt the file.
struct LocalHashMemo {
    static let fileName = "local-hashes.json"
    static let format = 1

    struct Entry: Codable, Equatable {
        var size: Int64
        var mtimeNs: Int64
        var inode: UInt64
        var sha256: String

        enum CodingKeys: String, CodingKey {
            case size, inode, sha256
            case mtimeNs = "mtime_ns"
        }
    }

    struct Document: Codable {
        var format: Int
        var files: [String: Entry]
    }

    let url: URL
    private(set) var entries: [String: Entry] = [:]
    /// Entries were added, replaced, or the file on disk was unusable: `save()` writes.
    private(set) var changed = false

    init(cacheDirectory: URL) {
        url = cacheDirectory.appendingPathComponent(Self.fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        if let data = try? Data(contentsOf: url), let doc = try? JSONDecoder().decode(Document.self, from: data),
           doc.format == Self.format {
            entries = doc.files
        } else {
            changed = true
        }
    }

    /// The remembered hash of `path` when its identity is unchanged.
    func hash(path: String, stat: FileIdentity) -> String? {
        guard let e = entries[path], e.size == stat.size, e.mtimeNs == stat.mtimeNs, e.inode == stat.inode else { return nil }
        return e.sha256
    }

    mutating func remember(path: String, stat: FileIdentity, sha256: String) {
        let entry = Entry(size: stat.size, mtimeNs: stat.mtimeNs, inode: stat.inode, sha256: sha256)
        guard entries[path] != entry else { return }
        entries[path] = entry
        changed = true
    }

    /// Writes the memo when it changed, without entries for files that no longer exist. Errors are ignored:
    /// the next run hashes again.
    mutating func save() {
        guard changed else { return }
        entries = entries.filter { FileIdentity(path: $0.key) != nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(Self.fileName).\(getpid()).\(UUID().uuidString.prefix(8)).tmp")
        do {
            let data = try encoder.encode(Document(format: Self.format, files: entries))
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try ArtifactStore.writeDurably(data, to: tmp)
            guard rename(tmp.path, url.path) == 0 else { throw PipelineError.io(String(cString: strerror(errno))) }
            changed = false
        } catch {
            try? FileManager.default.removeItem(at: tmp)
        }
    }
}

/// What `stat(2)` says about a path: enough to tell whether a file may have changed.
struct FileIdentity: Equatable {
    var size: Int64
    var mtimeNs: Int64
    var inode: UInt64
    var isRegularFile: Bool
    var isDirectory: Bool

    /// nil when the path does not exist (or cannot be looked up).
    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        size = Int64(st.st_size)
        #if canImport(Darwin)
        mtimeNs = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        #else
        mtimeNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        #endif
        inode = UInt64(st.st_ino)
        isRegularFile = (st.st_mode & S_IFMT) == S_IFREG
        isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
    }
}
