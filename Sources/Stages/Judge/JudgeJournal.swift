import Crypto
import Foundation

/// Append-only record of the answers a judge already received, one JSON object per line, flushed to disk
/// after each item. A rerun after a crash reads it and asks only what is missing. Each entry carries a hash
/// of the exact prompt and judge settings, so an entry is reused only for the same question; a torn last line (crash during
/// the write) is ignored. Failed items are not journaled: a rerun asks them again.
final class JudgeJournal {
    static let fileName = "judge-journal.jsonl"

    /// nil when the judge runs without a work directory (nothing to resume then).
    private let journal: ItemJournal<ScoreSet.Item>?

    init(directory: URL?) throws {
        guard let directory else { journal = nil; return }
        let url = directory.appendingPathComponent(Self.fileName)
        do { journal = try ItemJournal(url: url) } catch { throw JudgeError.journal(url, error.localizedDescription) }
    }

    /// Identifies one question to one judge: the prompt plus the model and sampling options, so a journal
    /// reused with another model or options never supplies a stale score. The server address is left out:
    /// the same model behind another address (a restarted server on a new port) gives the same answers.
    static func key(_ prompt: String, config: JudgeConfig) -> String {
        let o = config.options
        let context = [config.label, "\(o.seed)", "\(o.temperature)", "\(o.numCtx)", prompt]
        return SHA256.hash(data: Data(context.joined(separator: "\u{0}").utf8)).map { String(format: "%02x", $0) }.joined()
    }

    func lookup(index: Int, key: String) -> ScoreSet.Item? { journal?.lookup(index: index, key: key) }

    func record(index: Int, key: String, item: ScoreSet.Item) throws {
        guard let journal else { return }
        do { try journal.append([(index: index, key: key, value: item)]) } catch {
            throw JudgeError.journal(journal.url, error.localizedDescription)
        }
    }
}
