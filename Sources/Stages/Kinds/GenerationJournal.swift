import Crypto
import Foundation

/// Append-only record of the responses already generated, one JSON line per item, synced after each batch.
/// A rerun after a crash keeps them and generates only the rest. Each entry carries a hash of the prompt, so
/// an entry is reused only for the same item; a torn last line (crash during a write) is ignored.
final class GenerationJournal {
    struct Entry: Codable, Equatable {
        var index: Int
        var key: String
        var response: String
    }

    static let fileName = "generate-journal.jsonl"

    let url: URL
    private(set) var entries: [Int: Entry] = [:]
    private let handle: FileHandle

    init(directory: URL) throws {
        url = directory.appendingPathComponent(Self.fileName)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            if let data = try? Data(contentsOf: url) {
                var valid = Data()
                for line in data.split(separator: UInt8(ascii: "\n")) {
                    guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(line)) else { continue }
                    entries[entry.index] = entry
                    valid.append(Data(line))
                    valid.append(UInt8(ascii: "\n"))
                }
                // Rewrite without a torn tail so appends start on a fresh line.
                if valid != data { try valid.write(to: url, options: .atomic) }
            } else {
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            }
            handle = try FileHandle(forWritingTo: url)
            _ = try handle.seekToEnd()
        } catch {
            throw GenerateError.journal(url, error.localizedDescription)
        }
    }

    deinit { try? handle.close() }

    static func key(prompt: String) -> String {
        SHA256.hash(data: Data(prompt.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    func lookup(index: Int, prompt: String) -> String? {
        guard let e = entries[index], e.key == Self.key(prompt: prompt) else { return nil }
        return e.response
    }

    /// Appends the entries and syncs once.
    func record(_ items: [(index: Int, prompt: String, response: String)]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            var data = Data()
            for item in items {
                let entry = Entry(index: item.index, key: Self.key(prompt: item.prompt), response: item.response)
                entries[item.index] = entry
                data.append(try encoder.encode(entry))
                data.append(UInt8(ascii: "\n"))
            }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            throw GenerateError.journal(url, error.localizedDescription)
        }
    }
}
