import Foundation

/// Append-only per-item record, one JSON object per line, synced after each append, that lets a stage
/// interrupted mid-way (generate, judge) continue with only the missing items. Each entry carries a key of
/// the question it answers, so an entry is reused only for the same item; a torn last line (a crash during
/// a write) is dropped when the journal is opened, so appends start on a fresh line.
final class ItemJournal<Value: Codable> {
    struct Entry: Codable {
        var index: Int
        var key: String
        var value: Value
    }

    let url: URL
    private(set) var entries: [Int: Entry] = [:]
    private let handle: FileHandle

    /// Opens (or creates) the journal at `url`; errors are the file system's, for the caller to name.
    init(url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let data = try? Data(contentsOf: url) {
            var valid = Data()
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(line)) else { continue }
                entries[entry.index] = entry
                valid.append(Data(line))
                valid.append(UInt8(ascii: "\n"))
            }
            if valid != data { try valid.write(to: url, options: .atomic) }
        } else {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        handle = try FileHandle(forWritingTo: url)
        _ = try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    func lookup(index: Int, key: String) -> Value? {
        guard let e = entries[index], e.key == key else { return nil }
        return e.value
    }

    /// Appends the entries and syncs once.
    func append(_ items: [(index: Int, key: String, value: Value)]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for item in items {
            let entry = Entry(index: item.index, key: item.key, value: item.value)
            entries[item.index] = entry
            data.append(try encoder.encode(entry))
            data.append(UInt8(ascii: "\n"))
        }
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }
}
