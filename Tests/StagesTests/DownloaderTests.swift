import Crypto
import Foundation
import Testing
import TestSupport
@testable import Stages

@Suite struct DownloaderTests {
    static let payload = Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
    static var payloadHash: String { Downloader.hex(SHA256.hash(data: payload)) }

    @Test func downloadsWithContentLengthIntoContentAddressedCache() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let server = try LoopbackHTTPServer { _ in .init(body: Self.payload) }
        defer { server.stop() }
        let progress = ProgressLog()
        let d = Downloader(cacheDirectory: dir.url)
        let url = server.baseURL.appendingPathComponent("data.bin")
        let file = try await d.fetch(.remote(url), sha256: Self.payloadHash, progress: { progress.add($0, $1) })
        #expect(file == d.cachedFile(sha256: Self.payloadHash))
        #expect(try Data(contentsOf: file) == Self.payload)
        #expect(progress.last?.0 == Int64(Self.payload.count))
        #expect(progress.last?.1 == Int64(Self.payload.count))
        #expect(!FileManager.default.fileExists(atPath: d.partialFile(for: url).path))
        // Pinned and cached: no second request.
        _ = try await d.fetch(.remote(url), sha256: Self.payloadHash)
        #expect(server.requests.count == 1)
    }

    @Test func downloadsWithoutContentLength() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let server = try LoopbackHTTPServer { _ in .init(body: Self.payload, includeContentLength: false) }
        defer { server.stop() }
        let file = try await Downloader(cacheDirectory: dir.url).fetch(.remote(server.baseURL.appendingPathComponent("x")))
        #expect(try Data(contentsOf: file) == Self.payload)
        #expect(file.lastPathComponent == Self.payloadHash)
    }

    @Test(arguments: [404, 500])
    func httpErrorsNameTheURLAndStatus(status: Int) async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let server = try LoopbackHTTPServer { _ in .text("nope", status: status) }
        defer { server.stop() }
        let url = server.baseURL.appendingPathComponent("missing.json")
        let d = Downloader(cacheDirectory: dir.url)
        await #expect(throws: DownloadError.http(url, status)) { try await d.fetch(.remote(url)) }
        let message = DownloadError.http(url, status).localizedDescription
        #expect(message.contains(url.absoluteString) && message.contains("\(status)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.objectsDirectory.path).isEmpty)
    }

    @Test func truncatedBodyIsAnErrorAndResumesWithRange() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let cut = 20_000
        let server = try LoopbackHTTPServer { request in
            if let range = request.header("range") {
                // "bytes=N-"
                let start = Int(range.dropFirst("bytes=".count).dropLast())!
                let rest = Self.payload[start...]
                return .init(status: 206, headers: [("Content-Range", "bytes \(start)-\(Self.payload.count - 1)/\(Self.payload.count)")],
                             body: Data(rest))
            }
            return .init(body: Self.payload, truncateAfter: cut)
        }
        defer { server.stop() }
        let url = server.baseURL.appendingPathComponent("big.bin")
        let d = Downloader(cacheDirectory: dir.url)
        do {
            _ = try await d.fetch(.remote(url), sha256: Self.payloadHash)
            Issue.record("a truncated body must fail")
        } catch let error as DownloadError {
            guard case .truncated(let u, let received, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(u == url && received == Int64(cut))
        }
        #expect(!FileManager.default.fileExists(atPath: d.cachedFile(sha256: Self.payloadHash).path))
        #expect(try Data(contentsOf: d.partialFile(for: url)).count == cut)

        let file = try await d.fetch(.remote(url), sha256: Self.payloadHash)
        #expect(try Data(contentsOf: file) == Self.payload)
        #expect(server.requests.last?.header("range") == "bytes=\(cut)-")
        #expect(!FileManager.default.fileExists(atPath: d.partialFile(for: url).path))
    }

    @Test func followsRedirectsAsTheHubDoes() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let server = try LoopbackHTTPServer { request in
            request.path == "/resolve/main/f.bin"
                ? .init(status: 302, headers: [("Location", "/cdn/f.bin")])
                : .init(body: Self.payload)
        }
        defer { server.stop() }
        let file = try await Downloader(cacheDirectory: dir.url).fetch(.remote(server.baseURL.appendingPathComponent("resolve/main/f.bin")), sha256: Self.payloadHash)
        #expect(try Data(contentsOf: file) == Self.payload)
        #expect(server.requests.map(\.path) == ["/resolve/main/f.bin", "/cdn/f.bin"])
    }

    @Test func serverIgnoringRangeRestartsCleanly() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let server = try LoopbackHTTPServer { _ in .init(body: Self.payload) }
        defer { server.stop() }
        let url = server.baseURL.appendingPathComponent("f")
        let d = Downloader(cacheDirectory: dir.url)
        try FileManager.default.createDirectory(at: d.partialDirectory, withIntermediateDirectories: true)
        try Data("garbage".utf8).write(to: d.partialFile(for: url))
        let file = try await d.fetch(.remote(url), sha256: Self.payloadHash)
        #expect(try Data(contentsOf: file) == Self.payload)
        #expect(server.requests.first?.header("range") == "bytes=7-")
    }

    @Test func hashMismatchCommitsNothing() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let server = try LoopbackHTTPServer { _ in .init(body: Self.payload) }
        defer { server.stop() }
        let url = server.baseURL.appendingPathComponent("f")
        let d = Downloader(cacheDirectory: dir.url)
        let wrong = String(repeating: "ab", count: 32)
        await #expect(throws: DownloadError.hashMismatch(source: url.absoluteString, expected: wrong, actual: Self.payloadHash)) {
            try await d.fetch(.remote(url), sha256: wrong)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.objectsDirectory.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: d.partialFile(for: url).path))
    }

    @Test func connectionRefusedSaysWhichURLAndSuggestsPath() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let port = try LoopbackHTTPServer.closedPort()
        let url = URL(string: "http://127.0.0.1:\(port)/instruction-data.json")!
        do {
            _ = try await Downloader(cacheDirectory: dir.url, timeout: 5).fetch(.remote(url))
            Issue.record("expected an error")
        } catch let error as DownloadError {
            guard case .unreachable = error else { Issue.record("expected .unreachable, got \(error)"); return }
            let message = error.localizedDescription
            #expect(message.contains(url.absoluteString))
            #expect(message.contains("`path:`"))
        }
    }

    @Test func slowServerTimesOut() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let server = try LoopbackHTTPServer { _ in .init(body: Self.payload, delay: 3) }
        defer { server.stop() }
        let url = server.baseURL.appendingPathComponent("slow")
        await #expect(throws: DownloadError.timedOut(url)) {
            try await Downloader(cacheDirectory: dir.url, timeout: 0.5).fetch(.remote(url))
        }
    }

    @Test func localFilesAreVerifiedInPlace() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let path = dir.file("local.bin")
        try Self.payload.write(to: path)
        let d = Downloader(cacheDirectory: dir.url)
        #expect(try await d.fetch(.local(path), sha256: Self.payloadHash.uppercased()) == path)
        await #expect(throws: DownloadError.self) { try await d.fetch(.local(path), sha256: String(repeating: "0", count: 64)) }
        await #expect(throws: DownloadError.localFileMissing(dir.file("nope"))) { try await d.fetch(.local(dir.file("nope"))) }
        await #expect(throws: DownloadError.badHash("xyz")) { try await d.fetch(.local(path), sha256: "xyz") }
    }
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(Int64, Int64?)] = []
    func add(_ bytes: Int64, _ total: Int64?) { lock.lock(); events.append((bytes, total)); lock.unlock() }
    var last: (Int64, Int64?)? { lock.lock(); defer { lock.unlock() }; return events.last }
}
