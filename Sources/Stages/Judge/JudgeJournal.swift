import Crypto
import Foundation

/// Append-only record of the answers a judge already received, one JSON object per line, flushed to disk
/// after each item. A rerun after a crash reads it and asks only what is missing. Each entry carries a hash
/// of the exact prompt and judge settings, so an entry is reused only for the same question; a torn last line (crash during
/// the write) is ignored. Failed items are not journaled: a rerun asks them again.
final class JudgeJournal {
    struct Entry: Codable, Equatable {
        var index: Int
        var key: String
        var item: ScoreSet.Item
    }

    static let fileName = "judge-journal.jsonl"

    let url: URL?
    private(set) var entries: [Int: Entry] = [:]
    private var handle: FileHandle?

    init(directory: URL?) throws {
        guard let directory else { url = nil; return }
        let url = directory.appendingPathComponent(Self.fileName)
        self.url = url
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
            _ = try handle?.seekToEnd()
        } catch {
            throw JudgeError.journal(url, error.localizedDescription)
        }
    }

    deinit { try? handle?.close() }

    /// Identifies one question to one judge: the prompt plus the model and sampling options, so a journal
    /// reused with another model or options never supplies a stale score. The server address is left out:
    /// the same model behind another address (a restarted server on a new port) gives the same answers.
    static func key(_ prompt: String, config: JudgeConfig) -> String {
        let o = config.options
        let context = [config.label, "\(o.seed)", "\(o.temperature)", "\(o.numCtx)", prompt]
        return SHA256.hash(data: Data(context.joined(separator: "\u{0}").utf8)).map { String(format: "%02x", $0) }.joined()
    }

    func lookup(index: Int, key: String) -> ScoreSet.Item? {
        guard let e = entries[index], e.key == key else { return nil }
        return e.item
    }

    func record(index: Int, key: String, item: ScoreSet.Item) throws {
        let entry = Entry(index: index, key: key, item: item)
        entries[index] = entry
        guard let handle, let url else { return }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var line = try encoder.encode(entry)
            line.append(UInt8(ascii: "\n"))
            try handle.write(contentsOf: line)
            try handle.synchronize()
        } catch {
            throw JudgeError.journal(url, error.localizedDescription)
        }
    }
}
