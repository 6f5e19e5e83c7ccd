import Foundation

/// The `judge` stage's artifact: one entry per response, in the responses' order, plus the summary.
/// Every response appears: items that could not be scored carry their status and reply, never vanish.
public struct ScoreSet: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// The judge produced a score.
        case scored
        /// The judge answered, but not with a number in 0...100 (after the configured retries).
        case unparsable
        /// No answer: timeouts, HTTP or transport errors after all retries.
        case failed
    }

    public struct Item: Codable, Equatable, Sendable {
        public var index: Int
        public var status: Status
        /// 0...100 when `status == .scored`.
        public var score: Double?
        /// The judge's last raw reply (LLM judges).
        public var reply: String?
        /// Why the item failed.
        public var error: String?
        /// Requests made for this item (LLM judges; 0 for computed metrics).
        public var attempts: Int

        public init(index: Int, status: Status, score: Double? = nil, reply: String? = nil, error: String? = nil, attempts: Int = 0) {
            self.index = index
            self.status = status
            self.score = score
            self.reply = reply
            self.error = error
            self.attempts = attempts
        }
    }

    /// Label shown in reports, e.g. `ollama:llama3` or `rouge-l`.
    public var judge: String
    public var items: [Item]
    /// Mean over scored items; nil when none was scored.
    public var mean: Double?
    public var scored: Int
    public var unparsable: Int
    public var failed: Int

    public init(judge: String, items: [Item]) {
        self.judge = judge
        self.items = items
        let values = items.compactMap { $0.status == .scored ? $0.score : nil }
        scored = values.count
        unparsable = items.filter { $0.status == .unparsable }.count
        failed = items.filter { $0.status == .failed }.count
        mean = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Scores of the scored items, in order.
    public var scores: [Double] { items.compactMap { $0.status == .scored ? $0.score : nil } }
}
