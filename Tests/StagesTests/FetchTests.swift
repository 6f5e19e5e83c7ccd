import Crypto
import Foundation
import Testing
import TestSupport
@testable import Stages

@Suite struct FetchTests {
    @Test func parsesJSONArrayAndJSONLWithFieldMapAndLimit() throws {
        let array = #"[{"instruction":"a","input":"b","output":"c"},{"instruction":"d","output":"e"},{"instruction":"f","input":null,"output":"g"}]"#
        #expect(try DatasetParser.parse(Data(array.utf8), source: "x") == [
            InstructionRecord(instruction: "a", input: "b", output: "c"),
            InstructionRecord(instruction: "d", output: "e"),
            InstructionRecord(instruction: "f", output: "g"),
        ])
        let jsonl = "{\"prompt\":\"p1\",\"completion\":\"c1\",\"extra\":3}\n\n{\"prompt\":\"p2\",\"context\":\"x\",\"completion\":\"c2\"}\n{\"prompt\":\"p3\",\"completion\":\"c3\"}\n"
        let fields = FetchConfig.FieldMap(instruction: "prompt", input: "context", output: "completion")
        let records = try DatasetParser.parse(Data(jsonl.utf8), source: "x.jsonl", fields: fields, limit: 2)
        #expect(records == [InstructionRecord(instruction: "p1", output: "c1"), InstructionRecord(instruction: "p2", input: "x", output: "c2")])
    }

    @Test func badRowsAreNamed() {
        let missing = #"[{"instruction":"a","output":"b"},{"instruction":"c"}]"#
        #expect(throws: FetchError.missingField("d.json", row: 1, line: nil, field: "output", key: "output")) {
            try DatasetParser.parse(Data(missing.utf8), source: "d.json")
        }
        let message = FetchError.missingField("d.json", row: 1, line: nil, field: "output", key: "output").localizedDescription
        #expect(message.contains("row 1") && message.contains("\"output\"") && message.contains("fields:"))
        let jsonl = "{\"instruction\":\"a\",\"output\":\"b\"}\n{\"instruction\":\"c\",\"output\":5}\n"
        #expect(throws: FetchError.notAString("d.jsonl", row: 1, line: 2, key: "output", found: "a number (5)")) {
            try DatasetParser.parse(Data(jsonl.utf8), source: "d.jsonl")
        }
        #expect(throws: FetchError.notAString("d", row: 0, line: nil, key: "input", found: "a boolean (true)")) {
            try DatasetParser.parse(Data(#"[{"instruction":"a","input":true,"output":"b"}]"#.utf8), source: "d")
        }
        #expect(throws: FetchError.notAString("d", row: 0, line: nil, key: "instruction", found: "an array")) {
            try DatasetParser.parse(Data(#"[{"instruction":["a"],"output":"b"}]"#.utf8), source: "d")
        }
        #expect(throws: FetchError.rowNotObject("d", row: 1, line: nil)) {
            try DatasetParser.parse(Data(#"[{"instruction":"a","output":"b"}, 3]"#.utf8), source: "d")
        }
        #expect(throws: FetchError.self) { try DatasetParser.parse(Data("{\"a\":1}\n{broken\n".utf8), source: "d") }
        do {
            _ = try DatasetParser.parse(Data("{\"instruction\":\"a\",\"output\":\"b\"}\n{broken\n".utf8), source: "d")
        } catch let FetchError.invalidJSONLine(_, line, _) {
            #expect(line == 2)
        } catch { Issue.record("unexpected \(error)") }
        #expect(throws: FetchError.self) { try DatasetParser.parse(Data("[{\"instruction\":".utf8), source: "d") }
        #expect(throws: FetchError.notAnArray("d")) { try DatasetParser.parse(Data("{\"x\":1}".utf8), source: "d", format: .json) }
    }

    @Test func fetchStageDownloadsPinsAndWritesRecords() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let body: Data
        if SharedData.available {
            body = try Data(contentsOf: SharedData.url("instruction/instruction-data.json"))
        } else {
            body = Data(#"[{"instruction":"a","input":"","output":"b"}]"#.utf8)
        }
        let hash = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
        let server = try LoopbackHTTPServer { _ in .init(body: body) }
        defer { server.stop() }
        let config = FetchConfig(url: server.baseURL.appendingPathComponent("instruction-data.json").absoluteString, sha256: hash, limit: 1000)
        let downloader = Downloader(cacheDirectory: dir.file("cache"))
        let records = try await FetchStage.run(config, pipelineDirectory: dir.url, downloader: downloader, outputDirectory: dir.file("out"))
        #expect(try ArtifactFiles.readRecords(from: dir.file("out")) == records)
        if SharedData.available {
            #expect(hash == "7e09a9af353722ca15c18bc580f093f9c39d3178335a75177319cb1e1d163944")
            #expect(records.count == 1000)
        }
        // Pinned and cached: works with the server gone.
        server.stop()
        let again = try await FetchStage.run(config, pipelineDirectory: dir.url, downloader: downloader, outputDirectory: dir.file("out2"))
        #expect(again == records)
    }

    @Test func fetchFromRelativePathAndBadData() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        try Data("{\"instruction\":\"a\",\"output\":\"b\"}\n{\"instruction\":\"c\"}\n".utf8).write(to: dir.file("d.jsonl"))
        let downloader = Downloader(cacheDirectory: dir.file("cache"))
        await #expect(throws: FetchError.missingField(dir.file("d.jsonl").path, row: 1, line: 2, field: "output", key: "output")) {
            try await FetchStage.run(FetchConfig(path: "d.jsonl"), pipelineDirectory: dir.url, downloader: downloader, outputDirectory: dir.file("out"))
        }
        // Nothing half-written: the failed stage left no records file.
        #expect(!FileManager.default.fileExists(atPath: dir.file("out/records.json").path))
        try Data("{\"instruction\":\"a\",\"output\":\"b\"}\n".utf8).write(to: dir.file("d.jsonl"))
        let ok = try await FetchStage.run(FetchConfig(path: "d.jsonl"), pipelineDirectory: dir.url, downloader: downloader, outputDirectory: dir.file("out"))
        #expect(ok == [InstructionRecord(instruction: "a", output: "b")])
    }

    @Test func fetchWithoutNetworkSuggestsPath() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let port = try LoopbackHTTPServer.closedPort()
        let config = FetchConfig(url: "http://127.0.0.1:\(port)/instruction-data.json")
        do {
            _ = try await FetchStage.run(config, pipelineDirectory: dir.url, downloader: Downloader(cacheDirectory: dir.url), outputDirectory: dir.file("out"))
            Issue.record("expected an error")
        } catch {
            let message = error.localizedDescription
            #expect(message.contains("http://127.0.0.1:\(port)/instruction-data.json") && message.contains("`path:`"))
        }
        #expect(throws: FetchError.badLimit(-1)) { try FetchConfig(path: "x", limit: -1).validate(relativeTo: dir.url) }
        #expect(throws: DownloadError.badHash("12")) { try FetchConfig(path: "x", sha256: "12").validate(relativeTo: dir.url) }
    }
}
