import Crypto
import Foundation

/// The responses already generated, keyed by a hash of their prompt (see `ItemJournal`), synced after each batch.
final class GenerationJournal {
    static let fileName = "generate-journal.jsonl"

    private let journal: ItemJournal<String>
    var url: URL { journal.url }

    init(directory: URL) throws {
        let url = directory.appendingPathComponent(Self.fileName)
        do { journal = try ItemJournal(url: url) } catch { throw GenerateError.journal(url, error.localizedDescription) }
    }

    static func key(prompt: String) -> String {
        SHA256.hash(data: Data(prompt.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    func lookup(index: Int, prompt: String) -> String? { journal.lookup(index: index, key: Self.key(prompt: prompt)) }

    /// Appends the entries and syncs once.
    func record(_ items: [(index: Int, prompt: String, response: String)]) throws {
        do {
            try journal.append(items.map { (index: $0.index, key: Self.key(prompt: $0.prompt), value: $0.response) })
        } catch {
            throw GenerateError.journal(url, error.localizedDescription)
        }
    }
}
