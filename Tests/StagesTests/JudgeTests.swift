import Foundation
import Testing
import TestSupport
@testable import Stages

/// Judges against real HTTP servers on 127.0.0.1 speaking Ollama's and OpenAI's chat APIs.
@Suite struct JudgeTests {
    static let records = (0..<6).map {
        ResponseRecord(instruction: "Instruction \($0)", input: $0 % 2 == 0 ? "" : "input \($0)", output: "answer \($0)", modelResponse: "response \($0)")
    }

    /// The prompt's user message, from an Ollama or OpenAI request body.
    static func content(_ request: LoopbackHTTPServer.Request) -> String {
        let obj = request.json as? [String: Any]
        let messages = obj?["messages"] as? [[String: Any]]
        return messages?.first?["content"] as? String ?? ""
    }

    static func item(_ request: LoopbackHTTPServer.Request) -> Int {
        let c = content(request)
        guard let r = c.range(of: "Instruction ") else { return -1 }
        return Int(c[r.upperBound...].prefix(while: \.isNumber)) ?? -1
    }

    static func ollama(_ text: String, status: Int = 200) -> LoopbackHTTPServer.Response {
        .json(["model": "llama3", "message": ["role": "assistant", "content": text], "done": true], status: status)
    }

    func config(_ server: LoopbackHTTPServer, retries: Int = 2, timeout: Double = 10) -> JudgeConfig {
        JudgeConfig(kind: .ollama, url: server.baseURL.absoluteString, timeout: timeout, retries: retries, backoff: 0.01)
    }

    @Test func ollamaRequestMatchesChapter7AndScoresEveryItem() async throws {
        let server = try LoopbackHTTPServer { Self.ollama("\(Self.item($0) * 10)") }
        defer { server.stop() }
        let scores = try await JudgeStage.score(config(server), responses: Self.records, workDirectory: nil)
        #expect(scores.items.map(\.score) == [0, 10, 20, 30, 40, 50])
        #expect(scores.mean == 25 && scores.scored == 6 && scores.unparsable == 0 && scores.failed == 0)
        #expect(scores.judge == "ollama:llama3")

        let first = try #require(server.requests.first)
        #expect(first.method == "POST" && first.path == "/api/chat")
        let body = try #require(first.json as? [String: Any])
        #expect(body["model"] as? String == "llama3")
        #expect(body["stream"] as? Bool == false)
        let options = try #require(body["options"] as? [String: Any])
        #expect((options["seed"] as? NSNumber)?.intValue == 123)
        #expect((options["temperature"] as? NSNumber)?.doubleValue == 0)
        #expect((options["num_ctx"] as? NSNumber)?.intValue == 2048)
        // Item 1 has an input: chapter 7's format_input includes it.
        let second = Self.content(server.requests[1])
        #expect(second == "Given the input `Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nInstruction 1\n\n### Input:\ninput 1` and correct output `answer 1`, score the model response `response 1` on a scale from 0 to 100, where 100 is the best score. Respond with the integer number only.")
        #expect(!Self.content(server.requests[0]).contains("### Input:"))
    }

    @Test func nonNumericRepliesAreReaskedThenRecorded() async throws {
        let counter = Counter()
        let server = try LoopbackHTTPServer { request in
            switch Self.item(request) {
            case 1: return Self.ollama("The response is good. Score: 80")
            case 2: return Self.ollama(counter.next("item2") == 0 ? "eighty" : " 75\n")
            case 3: return Self.ollama("150")
            default: return Self.ollama("90")
            }
        }
        defer { server.stop() }
        var cfg = config(server)
        cfg.reaskUnparsable = 2
        let scores = try await JudgeStage.score(cfg, responses: Self.records, workDirectory: nil)
        #expect(scores.items[1].status == .unparsable && scores.items[1].attempts == 3)
        #expect(scores.items[1].reply == "The response is good. Score: 80")
        #expect(scores.items[2].status == .scored && scores.items[2].score == 75 && scores.items[2].attempts == 2)
        #expect(scores.items[3].status == .unparsable)
        #expect(scores.scored == 4 && scores.unparsable == 2 && scores.failed == 0)
        let expectedMean: Double = (90 + 75 + 90 + 90) / 4
        #expect(scores.mean == expectedMean)
        #expect(scores.items.count == Self.records.count)
    }

    @Test func serverErrorsAreRetriedWithBackoffThenCountedAsFailed() async throws {
        let counter = Counter()
        let server = try LoopbackHTTPServer { request in
            switch Self.item(request) {
            case 0: return counter.next("item0") < 2 ? .json(["error": "overloaded"], status: 503) : Self.ollama("60")
            case 4: return .json(["error": "boom"], status: 500)
            default: return Self.ollama("70")
            }
        }
        defer { server.stop() }
        let scores = try await JudgeStage.score(config(server, retries: 2), responses: Self.records, workDirectory: nil)
        #expect(scores.items[0].status == .scored && scores.items[0].score == 60 && scores.items[0].attempts == 3)
        #expect(scores.items[4].status == .failed && scores.items[4].attempts == 3)
        #expect(scores.items[4].error?.contains("HTTP 500: boom") == true)
        #expect(scores.scored == 5 && scores.failed == 1)
    }

    @Test func slowRepliesTimeOutAndAreRetried() async throws {
        let counter = Counter()
        let server = try LoopbackHTTPServer { request in
            if Self.item(request) == 0, counter.next("slow") == 0 {
                var r = Self.ollama("99"); r.delay = 2; return r
            }
            return Self.ollama("42")
        }
        defer { server.stop() }
        let start = Date()
        let scores = try await JudgeStage.score(config(server, retries: 1, timeout: 1), responses: Array(Self.records.prefix(2)), workDirectory: nil)
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.9 && elapsed < 2, "the first attempt must wait for the 1 s timeout, not for the 2 s reply: \(elapsed)")
        #expect(scores.items[0].status == .scored && scores.items[0].score == 42 && scores.items[0].attempts == 2)
        #expect(scores.failed == 0)
    }

    @Test func unknownModelAbortsWithAHint() async throws {
        let server = try LoopbackHTTPServer { _ in .json(["error": "model \"llama9\" not found, try pulling it first"], status: 404) }
        defer { server.stop() }
        var cfg = config(server)
        cfg.model = "llama9"
        do {
            _ = try await JudgeStage.score(cfg, responses: Self.records, workDirectory: nil)
            Issue.record("expected an error")
        } catch let error as JudgeError {
            let message = error.localizedDescription
            #expect(message.contains("not found") && message.contains("`model:`") && message.contains("/api/chat"))
        }
        #expect(server.requests.count == 1)
    }

    @Test func closedPortReportsUnreachableJudge() async throws {
        let port = try LoopbackHTTPServer.closedPort()
        let cfg = JudgeConfig(kind: .ollama, url: "http://127.0.0.1:\(port)", timeout: 5, retries: 1, backoff: 0.01)
        do {
            _ = try await JudgeStage.score(cfg, responses: Self.records, workDirectory: nil)
            Issue.record("expected an error")
        } catch let error as JudgeError {
            guard case .unreachable(let url, _, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(url == "http://127.0.0.1:\(port)/api/chat")
            #expect(error.localizedDescription.contains("ollama serve"))
        }
    }

    @Test func journalMeansARerunAsksOnlyWhatIsMissing() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        // First run: the server dies (connection-level) on item 3, like a crash mid-stage.
        let broken = try LoopbackHTTPServer { request in
            Self.item(request) >= 3 ? .json(["error": "unauthorized"], status: 401) : Self.ollama("\(Self.item(request) + 1)")
        }
        let work = dir.file("work")
        await #expect(throws: JudgeError.self) {
            try await JudgeStage.run(config(broken), responses: Self.records, workDirectory: work, outputDirectory: dir.file("out1"))
        }
        broken.stop()
        #expect(!FileManager.default.fileExists(atPath: dir.file("out1/scores.json").path))
        // Simulate a torn final line from a crash during a write.
        let journal = work.appendingPathComponent(JudgeJournal.fileName)
        let handle = try FileHandle(forWritingTo: journal)
        _ = try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"index\":3,\"ke".utf8))
        try handle.close()

        let good = try LoopbackHTTPServer { Self.ollama("\(Self.item($0) + 1)") }
        defer { good.stop() }
        let resumed = try await JudgeStage.run(config(good), responses: Self.records, workDirectory: work, outputDirectory: dir.file("out2"))
        #expect(good.requests.map(Self.item) == [3, 4, 5])
        #expect(resumed.items.map(\.score) == [1, 2, 3, 4, 5, 6])
        #expect(try ArtifactFiles.readScores(from: dir.file("out2")) == resumed)

        // A third run asks nothing; a different prompt for the same index is asked again.
        _ = try await JudgeStage.run(config(good), responses: Self.records, workDirectory: work, outputDirectory: dir.file("out3"))
        #expect(good.requests.count == 3)
        var changed = Self.records
        changed[0].modelResponse = "something else"
        _ = try await JudgeStage.run(config(good), responses: changed, workDirectory: work, outputDirectory: dir.file("out4"))
        #expect(good.requests.count == 4)
        // Another judge model is another question.
        var other = config(good)
        other.model = "mistral"
        _ = try await JudgeStage.run(other, responses: Self.records, workDirectory: work, outputDirectory: dir.file("out5"))
        #expect(good.requests.count == 10)
    }

    @Test func openAICompatibleServerWithKeyFromEnvironment() async throws {
        let server = try LoopbackHTTPServer { request in
            guard request.path == "/v1/chat/completions" else { return .json(["error": "no route"], status: 404) }
            guard request.header("authorization") == "Bearer sk-test" else { return .json(["error": ["message": "bad key"]], status: 401) }
            return .json(["choices": [["index": 0, "message": ["role": "assistant", "content": "88"]]]])
        }
        defer { server.stop() }
        let cfg = JudgeConfig(kind: .openai, url: server.baseURL.absoluteString, model: "judge-1", apiKeyEnv: "FINCH_TEST_KEY", backoff: 0.01)
        let scores = try await JudgeStage.score(cfg, responses: Self.records, workDirectory: nil, environment: ["FINCH_TEST_KEY": "sk-test"])
        #expect(scores.mean == 88 && scores.scored == 6 && scores.judge == "openai:judge-1")
        let body = try #require(server.requests.first?.json as? [String: Any])
        #expect(body["model"] as? String == "judge-1")
        #expect((body["temperature"] as? NSNumber)?.doubleValue == 0)

        await #expect(throws: JudgeError.missingAPIKey("FINCH_TEST_KEY")) {
            try await JudgeStage.score(cfg, responses: Self.records, workDirectory: nil, environment: [:])
        }
        do {
            _ = try await JudgeStage.score(cfg, responses: Self.records, workDirectory: nil, environment: ["FINCH_TEST_KEY": "wrong"])
            Issue.record("expected an error")
        } catch let error as JudgeError {
            #expect(error.localizedDescription.contains("bad key") && error.localizedDescription.contains("api_key_env"))
        }
    }

    @Test func customPromptSlotsAreValidated() throws {
        #expect(throws: TemplateError.unknownSlot(template: "judge prompt", slot: "reponse", allowed: JudgePrompt.slotNames)) {
            try JudgeConfig(prompt: "Rate {reponse}").validate()
        }
        let p = try JudgePrompt("Q: {instruction} / A: {model_response} / ref {output}")
        #expect(p.render(Self.records[0]) == "Q: Instruction 0 / A: response 0 / ref answer 0")
        #expect(throws: JudgeError.missingModel) { try JudgeConfig(kind: .openai).validate() }
        #expect(throws: JudgeError.unusedKey("model", "exact")) { try JudgeConfig(kind: .exact, model: "x").validate() }
    }

    @Test func scoreParsingFollowsPythonInt() {
        #expect(parseJudgeScore("85") == 85)
        #expect(parseJudgeScore(" 85\n") == 85)
        #expect(parseJudgeScore("+7") == 7)
        #expect(parseJudgeScore("0") == 0 && parseJudgeScore("100") == 100)
        #expect(parseJudgeScore("101") == nil && parseJudgeScore("-1") == nil)
        #expect(parseJudgeScore("85.") == nil && parseJudgeScore("85/100") == nil && parseJudgeScore("") == nil)
        #expect(parseJudgeScore("Score: 85") == nil)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    /// Returns how many times `key` was seen before this call.
    func next(_ key: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        let n = counts[key, default: 0]
        counts[key] = n + 1
        return n
    }
}
