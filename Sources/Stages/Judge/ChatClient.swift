import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One non-streaming chat request to an LLM judge server, in Ollama's or OpenAI's dialect.
struct ChatClient: Sendable {
    enum Dialect: Sendable { case ollama, openai }

    let dialect: Dialect
    let endpoint: URL
    let model: String
    let options: JudgeConfig.Options
    let apiKey: String?
    let timeout: TimeInterval

    init(config: JudgeConfig, environment: [String: String]) throws {
        guard let base = config.resolvedURL, let model = config.resolvedModel else { throw JudgeError.missingModel }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        switch config.kind {
        case .ollama:
            dialect = .ollama
            guard let url = URL(string: trimmed + "/api/chat") else { throw JudgeError.badURL(base) }
            endpoint = url
        default:
            dialect = .openai
            // Accept both `http://host:port` and `http://host:port/v1` as the base.
            let path = trimmed.hasSuffix("/v1") ? "/chat/completions" : "/v1/chat/completions"
            guard let url = URL(string: trimmed + path) else { throw JudgeError.badURL(base) }
            endpoint = url
        }
        self.model = model
        options = config.options
        timeout = config.timeout
        if let name = config.apiKeyEnv {
            guard let key = environment[name], !key.isEmpty else { throw JudgeError.missingAPIKey(name) }
            apiKey = key
        } else {
            apiKey = nil
        }
    }

    func body(prompt: String) -> [String: Any] {
        let messages: [[String: Any]] = [["role": "user", "content": prompt]]
        switch dialect {
        case .ollama:
            return ["model": model, "messages": messages, "stream": false,
                    "options": ["seed": options.seed, "temperature": options.temperature, "num_ctx": options.numCtx]]
        case .openai:
            return ["model": model, "messages": messages, "stream": false, "seed": options.seed, "temperature": options.temperature]
        }
    }

    /// The reply's text. Throws `ChatFailure` classified for the retry policy.
    func complete(prompt: String) async throws -> String {
        var request = URLRequest(url: endpoint, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONSerialization.data(withJSONObject: body(prompt: prompt), options: [.sortedKeys])
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch let e as URLError {
            switch e.code {
            case .timedOut: throw ChatFailure.timedOut
            case .cannotConnectToHost, .cannotFindHost, .notConnectedToInternet, .dnsLookupFailed:
                throw ChatFailure.unreachable(e.localizedDescription)
            default: throw ChatFailure.transport(e.localizedDescription)
            }
        } catch {
            throw ChatFailure.transport(error.localizedDescription)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 200
        guard (200..<300).contains(status) else {
            throw ChatFailure.http(status, Self.errorText(data))
        }
        guard let text = Self.content(data, dialect: dialect) else {
            throw ChatFailure.badResponse(String(decoding: data.prefix(200), as: UTF8.self))
        }
        return text
    }

    /// Ollama answers `{"message": {"content": …}}`; a server that streams anyway sends one such object per
    /// line, which are concatenated. OpenAI answers `{"choices": [{"message": {"content": …}}]}`.
    static func content(_ data: Data, dialect: Dialect) -> String? {
        switch dialect {
        case .ollama:
            var text: String?
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
                guard let obj = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                      let message = obj["message"] as? [String: Any], let part = message["content"] as? String else { return nil }
                text = (text ?? "") + part
            }
            return text
        case .openai:
            guard let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let choices = obj["choices"] as? [[String: Any]], let first = choices.first,
                  let message = first["message"] as? [String: Any], let text = message["content"] as? String else { return nil }
            return text
        }
    }

    static func errorText(_ data: Data) -> String {
        if let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            if let e = obj["error"] as? String { return e }
            if let e = obj["error"] as? [String: Any], let m = e["message"] as? String { return m }
        }
        return String(decoding: data.prefix(200), as: UTF8.self)
    }
}

enum ChatFailure: Error, Equatable {
    case unreachable(String)
    case timedOut
    case http(Int, String)
    case badResponse(String)
    case transport(String)

    /// Worth asking again after a pause (the server may recover); other failures are configuration errors.
    var isTransient: Bool {
        switch self {
        case .unreachable, .timedOut, .badResponse, .transport: return true
        case .http(let status, _): return status == 408 || status == 429 || status >= 500
        }
    }

    var summary: String {
        switch self {
        case .unreachable(let why): return "cannot connect (\(why))"
        case .timedOut: return "no reply within the timeout"
        case .http(let status, let body): return "HTTP \(status)" + (body.isEmpty ? "" : ": \(body)")
        case .badResponse(let body): return "reply is not a chat response: \(body)"
        case .transport(let why): return why
        }
    }
}
