import Foundation

public enum JudgeError: LocalizedError, Equatable {
    case badURL(String)
    case missingModel
    case missingAPIKey(String)
    case unusedKey(String, String)
    case badNumber(String, Double)
    case unreachable(url: String, why: String, kind: JudgeConfig.Kind)
    case rejected(url: String, why: String, status: Int)
    case journal(URL, String)

    public var errorDescription: String? {
        switch self {
        case .badURL(let u): return "judge `url: \(u)` is not an http(s) URL"
        case .missingModel: return "judge `kind: openai` needs `model:` (the model name the server expects)"
        case .missingAPIKey(let name):
            return "judge `api_key_env: \(name)`: the environment variable \(name) is not set; export it, or remove `api_key_env` for a server without keys"
        case .unusedKey(let key, let kind): return "judge `\(key):` has no meaning for `kind: \(kind)`; remove it"
        case .badNumber(let key, let v): return "judge `\(key): \(v)` must not be negative\(key == "timeout" ? " or zero" : "")"
        case .unreachable(let url, let why, let kind):
            let hint = kind == .ollama
                ? "start Ollama (`ollama serve`, then `ollama pull <model>`) or set `url:` to where it runs"
                : "check `url:` and that the server is running"
            return "cannot reach the judge at \(url) (\(why)); \(hint). Answers received so far are kept; rerun to continue"
        case .rejected(let url, let why, let status):
            var hint = "check the judge configuration"
            if status == 404 { hint = "check `model:` (is it pulled / served?) and `url:`" }
            if status == 401 || status == 403 { hint = "check the API key named by `api_key_env`" }
            return "the judge at \(url) rejected the request (\(why)); \(hint)"
        case .journal(let url, let why): return "\(url.path): cannot use the judge journal (\(why)); check free space and permissions"
        }
    }
}

/// The `judge` stage's work: score every response, write `scores.json`.
public enum JudgeStage {
    /// Progress: `(items done, items total)`.
    public typealias Progress = @Sendable (Int, Int) -> Void

    /// - Parameters:
    ///   - workDirectory: where the per-item journal lives (keyed by the stage's cache key, outside the
    ///     output directory, so it survives a crash); nil for no journal.
    @discardableResult
    public static func run(_ config: JudgeConfig, responses: [ResponseRecord], workDirectory: URL?, outputDirectory: URL,
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           progress: Progress? = nil) async throws -> ScoreSet {
        let scores = try await score(config, responses: responses, workDirectory: workDirectory, environment: environment, progress: progress)
        try ArtifactFiles.writeScores(scores, to: outputDirectory)
        return scores
    }

    public static func run(_ config: JudgeConfig, responsesDirectory: URL, workDirectory: URL?, outputDirectory: URL,
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           progress: Progress? = nil) async throws -> ScoreSet {
        try await run(config, responses: try ArtifactFiles.readResponses(from: responsesDirectory), workDirectory: workDirectory,
                      outputDirectory: outputDirectory, environment: environment, progress: progress)
    }

    public static func score(_ config: JudgeConfig, responses: [ResponseRecord], workDirectory: URL?,
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             progress: Progress? = nil) async throws -> ScoreSet {
        try config.validate()
        switch config.kind {
        case .exact, .rougeL:
            let metric = config.kind == .exact ? TextMetrics.exactMatch : TextMetrics.rougeL
            let items = responses.enumerated().map { i, r in
                ScoreSet.Item(index: i, status: .scored, score: metric(r.modelResponse, r.output))
            }
            progress?(responses.count, responses.count)
            return ScoreSet(judge: config.label, items: items)
        case .ollama, .openai:
            return try await askModel(config, responses: responses, workDirectory: workDirectory, environment: environment, progress: progress)
        }
    }

    static func askModel(_ config: JudgeConfig, responses: [ResponseRecord], workDirectory: URL?,
                         environment: [String: String], progress: Progress?) async throws -> ScoreSet {
        let client = try ChatClient(config: config, environment: environment)
        let prompt = try JudgePrompt(config.prompt ?? JudgePrompt.chapter7)
        let journal = try JudgeJournal(directory: workDirectory)
        var items: [ScoreSet.Item] = []
        for (index, response) in responses.enumerated() {
            let text = prompt.render(response)
            let key = JudgeJournal.key(text, config: config)
            if let done = journal.lookup(index: index, key: key) {
                items.append(done)
            } else {
                let item = try await askOne(index: index, prompt: text, client: client, config: config)
                if item.status != .failed { try journal.record(index: index, key: key, item: item) }
                items.append(item)
            }
            progress?(index + 1, responses.count)
        }
        return ScoreSet(judge: config.label, items: items)
    }

    /// One item: transient failures are retried with exponential backoff; a reply that is not a score is
    /// asked again up to `reaskUnparsable` times. Configuration errors and a server that stays unreachable
    /// abort the stage (every other item would fail the same way).
    static func askOne(index: Int, prompt: String, client: ChatClient, config: JudgeConfig) async throws -> ScoreSet.Item {
        var attempts = 0
        var reasks = 0
        while true {
            var retry = 0
            let reply: String
            while true {
                attempts += 1
                do {
                    reply = try await client.complete(prompt: prompt)
                    break
                } catch let failure as ChatFailure {
                    guard failure.isTransient else {
                        var status = 0
                        if case .http(let s, _) = failure { status = s }
                        throw JudgeError.rejected(url: client.endpoint.absoluteString, why: failure.summary, status: status)
                    }
                    if retry >= config.retries {
                        if case .unreachable(let why) = failure {
                            throw JudgeError.unreachable(url: client.endpoint.absoluteString, why: why, kind: config.kind)
                        }
                        return ScoreSet.Item(index: index, status: .failed, error: failure.summary + " (after \(attempts) attempts)", attempts: attempts)
                    }
                    let seconds = config.backoff * Double(1 << min(retry, 16))
                    if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }
                    retry += 1
                }
            }
            if let score = parseJudgeScore(reply) {
                return ScoreSet.Item(index: index, status: .scored, score: Double(score), reply: reply, attempts: attempts)
            }
            if reasks >= config.reaskUnparsable {
                return ScoreSet.Item(index: index, status: .unparsable, reply: reply, attempts: attempts)
            }
            reasks += 1
        }
    }
}
