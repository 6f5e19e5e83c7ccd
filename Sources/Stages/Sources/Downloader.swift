import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Resolves a `SourceReference` to a local file, downloading remote files into a content-addressed cache:
/// `<cacheDirectory>/downloads/sha256/<hex>`.
///
/// A download streams into `<cacheDirectory>/downloads/partial/<hash of URL>.partial` while its SHA-256 is
/// computed; an interrupted download resumes from there with an HTTP `Range` request. Only a complete file
/// whose hash matches the pinned `sha256` is renamed into the cache, so the cache never holds half a file.
/// With a pinned `sha256` already in the cache the network is not touched at all. Without a pin every
/// call downloads again (the file behind a URL may change; pin it to make runs reproducible and offline).
///
/// Concurrent downloads of the same URL from two processes are not coordinated here: the pipeline's cache
/// lock serialises stages that share a cache directory.
public struct Downloader: Sendable {
    /// `(bytes received so far, total bytes when the server said)`, called from a background queue.
    public typealias Progress = @Sendable (_ bytes: Int64, _ total: Int64?) -> Void

    public var cacheDirectory: URL
    /// Seconds without any data before a request fails; default 60.
    public var timeout: TimeInterval
    /// Extra request headers. By default a `HF_TOKEN` environment variable becomes a bearer token for
    /// huggingface.co (gated repositories need it).
    public var headers: [String: String]

    public init(cacheDirectory: URL, timeout: TimeInterval = 60, headers: [String: String] = [:]) {
        self.cacheDirectory = cacheDirectory
        self.timeout = timeout
        self.headers = headers
    }

    public var objectsDirectory: URL { cacheDirectory.appendingPathComponent("downloads/sha256") }
    public var partialDirectory: URL { cacheDirectory.appendingPathComponent("downloads/partial") }

    /// The cache path of content with this hash (which may not exist yet).
    public func cachedFile(sha256 hex: String) -> URL { objectsDirectory.appendingPathComponent(hex.lowercased()) }

    /// The `.partial` file a download of `url` writes to.
    public func partialFile(for url: URL) -> URL {
        partialDirectory.appendingPathComponent(Self.hex(SHA256.hash(data: Data(url.absoluteString.utf8))) + ".partial")
    }

    /// A local file with the content of `source`, verified against `sha256` when given.
    public func fetch(_ source: SourceReference, sha256 expected: String? = nil, progress: Progress? = nil) async throws -> URL {
        let expected = try expected.map(Self.normalizedHash)
        switch source {
        case .huggingFaceRepo:
            throw DownloadError.repositoryNotFile(source.description)
        case .local(let url):
            guard FileManager.default.isReadableFile(atPath: url.path) else { throw DownloadError.localFileMissing(url) }
            if let expected {
                let actual = try Self.sha256(of: url)
                guard actual == expected else { throw DownloadError.hashMismatch(source: url.path, expected: expected, actual: actual) }
            }
            return url
        case .remote(let url):
            if let expected, FileManager.default.fileExists(atPath: cachedFile(sha256: expected).path) {
                return cachedFile(sha256: expected)
            }
            return try await download(url, expected: expected, progress: progress)
        }
    }

    private func download(_ url: URL, expected: String?, progress: Progress?) async throws -> URL {
        let fm = FileManager.default
        let partial = partialFile(for: url)
        do {
            try fm.createDirectory(at: partialDirectory, withIntermediateDirectories: true)
            try fm.createDirectory(at: objectsDirectory, withIntermediateDirectories: true)
        } catch {
            throw DownloadError.cacheNotWritable(cacheDirectory, error.localizedDescription)
        }
        var result = try await transfer(url, to: partial, progress: progress)
        if result.rangeNotSatisfiable {
            // The partial file is stale (e.g. the remote file shrank): start over once.
            try? fm.removeItem(at: partial)
            result = try await transfer(url, to: partial, progress: progress)
        }
        let actual = result.sha256
        if let expected, actual != expected {
            try? fm.removeItem(at: partial)
            throw DownloadError.hashMismatch(source: url.absoluteString, expected: expected, actual: actual)
        }
        let destination = cachedFile(sha256: actual)
        if fm.fileExists(atPath: destination.path) {
            try? fm.removeItem(at: partial)
        } else {
            do { try fm.moveItem(at: partial, to: destination) } catch {
                guard fm.fileExists(atPath: destination.path) else {
                    throw DownloadError.cacheNotWritable(cacheDirectory, error.localizedDescription)
                }
                try? fm.removeItem(at: partial)
            }
        }
        return destination
    }

    struct TransferResult {
        var sha256: String
        var rangeNotSatisfiable: Bool
    }

    /// One HTTP request: resumes `partial` when it has bytes, appends what arrives, returns the hash of the
    /// whole file. Throws (keeping the partial file for a later resume) on any error or short body.
    private func transfer(_ url: URL, to partial: URL, progress: Progress?) async throws -> TransferResult {
        let fm = FileManager.default
        var offset: Int64 = 0
        var hasher = SHA256()
        if fm.fileExists(atPath: partial.path) {
            offset = (try? fm.attributesOfItem(atPath: partial.path)[.size] as? NSNumber)?.int64Value ?? 0
            if offset > 0 { hasher = try Self.hasher(of: partial) }
        } else {
            guard fm.createFile(atPath: partial.path, contents: nil) else {
                throw DownloadError.cacheNotWritable(cacheDirectory, "cannot create \(partial.path)")
            }
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if url.host == "huggingface.co", request.value(forHTTPHeaderField: "Authorization") == nil,
           let token = ProcessInfo.processInfo.environment["HF_TOKEN"], !token.isEmpty {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }

        let handle: FileHandle
        do { handle = try FileHandle(forWritingTo: partial) } catch {
            throw DownloadError.cacheNotWritable(cacheDirectory, error.localizedDescription)
        }
        let delegate = StreamingDelegate(url: url, handle: handle, offset: offset, hasher: hasher, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        // Cancelling the waiting task (Ctrl-C in a stage) cancels the request; the partial file stays for a resume.
        try Task.checkCancellation()
        let dataTask = session.dataTask(with: request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                delegate.continuation = continuation
                dataTask.resume()
            }
        } onCancel: {
            dataTask.cancel()
        }
    }

    // MARK: hashing

    public static func sha256(of file: URL) throws -> String {
        hex(try hasher(of: file).finalize())
    }

    static func hasher(of file: URL) throws -> SHA256 {
        var hasher = SHA256()
        guard let handle = try? FileHandle(forReadingFrom: file) else { throw DownloadError.localFileMissing(file) }
        defer { try? handle.close() }
        while true {
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    static func normalizedHash(_ s: String) throws -> String {
        let h = s.trimmingCharacters(in: .whitespaces).lowercased()
        guard h.count == 64, h.allSatisfy({ $0.isHexDigit }) else { throw DownloadError.badHash(s) }
        return h
    }
}

/// Receives one response on a serial queue: checks the status, appends the body to the partial file and
/// feeds the hasher, then resumes the waiting task exactly once.
private final class StreamingDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let url: URL
    let handle: FileHandle
    var offset: Int64
    var received: Int64 = 0
    var total: Int64?
    var hasher: SHA256
    let progress: Downloader.Progress?
    var continuation: CheckedContinuation<Downloader.TransferResult, Error>?
    var failure: DownloadError?
    var rangeNotSatisfiable = false

    init(url: URL, handle: FileHandle, offset: Int64, hasher: SHA256, progress: Downloader.Progress?) {
        self.url = url
        self.handle = handle
        self.offset = offset
        self.hasher = hasher
        self.progress = progress
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else { completionHandler(.allow); return }
        let length = response.expectedContentLength
        switch http.statusCode {
        case 206 where offset > 0:
            total = length >= 0 ? offset + length : nil
            _ = try? handle.seekToEnd()
        case 200..<300:
            // A full body (the server ignored or we sent no Range): start the file and the hash over.
            offset = 0
            hasher = SHA256()
            do { try handle.truncate(atOffset: 0) } catch {
                failure = .transport(url, "cannot truncate the partial file: \(error.localizedDescription)")
                completionHandler(.cancel)
                return
            }
            total = length >= 0 ? length : nil
        case 416:
            rangeNotSatisfiable = true
            completionHandler(.cancel)
            return
        default:
            failure = .http(url, http.statusCode)
            completionHandler(.cancel)
            return
        }
        progress?(offset, total)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do { try handle.write(contentsOf: data) } catch {
            failure = .transport(url, "cannot write the partial file: \(error.localizedDescription)")
            dataTask.cancel()
            return
        }
        hasher.update(data: data)
        received += Int64(data.count)
        progress?(offset + received, total)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        try? handle.synchronize()
        try? handle.close()
        guard let continuation else { return }
        self.continuation = nil
        if rangeNotSatisfiable {
            continuation.resume(returning: .init(sha256: "", rangeNotSatisfiable: true))
        } else if let failure {
            continuation.resume(throwing: failure)
        } else if let error {
            continuation.resume(throwing: DownloadError.from(error, url: url, have: offset + received, total: total))
        } else if let total, offset + received != total {
            continuation.resume(throwing: DownloadError.truncated(url, received: offset + received, expected: total))
        } else {
            continuation.resume(returning: .init(sha256: Downloader.hex(hasher.finalize()), rangeNotSatisfiable: false))
        }
    }
}

public enum DownloadError: LocalizedError, Equatable {
    case unreachable(URL, String)
    case timedOut(URL)
    case http(URL, Int)
    case truncated(URL, received: Int64, expected: Int64)
    case transport(URL, String)
    case hashMismatch(source: String, expected: String, actual: String)
    case badHash(String)
    case localFileMissing(URL)
    case cacheNotWritable(URL, String)
    case repositoryNotFile(String)

    static func from(_ error: Error, url: URL, have: Int64, total: Int64?) -> DownloadError {
        if let e = error as? URLError {
            switch e.code {
            case .cannotConnectToHost, .cannotFindHost, .notConnectedToInternet, .dnsLookupFailed,
                 .internationalRoamingOff, .dataNotAllowed:
                return .unreachable(url, e.localizedDescription)
            case .timedOut:
                return .timedOut(url)
            case .networkConnectionLost:
                return .truncated(url, received: have, expected: total ?? -1)
            default: break
            }
        }
        // libcurl reports a body shorter than its Content-Length as a generic error ("transfer closed with
        // N bytes remaining"); what matters to the user is that the partial file can be resumed.
        if let total, have < total { return .truncated(url, received: have, expected: total) }
        return .transport(url, error.localizedDescription)
    }

    public var errorDescription: String? {
        switch self {
        case .unreachable(let url, let why):
            return "cannot reach \(url.absoluteString) (\(why)); check the network connection, or download the file yourself and use `path:` with its local path instead"
        case .timedOut(let url):
            return "\(url.absoluteString): no data within the timeout; check the network, rerun to resume, or download the file yourself and use `path:` instead"
        case .http(let url, let status):
            let reason = HTTPURLResponse.localizedString(forStatusCode: status)
            var hint = "check the URL"
            if status == 401 || status == 403 { hint = "the file needs authorisation (for Hugging Face set HF_TOKEN)" }
            if status >= 500 { hint = "the server failed; try again later, or download the file yourself and use `path:`" }
            return "\(url.absoluteString): HTTP \(status) \(reason); \(hint)"
        case .truncated(let url, let received, let expected):
            let of = expected >= 0 ? " of \(expected)" : ""
            return "\(url.absoluteString): the connection ended after \(received)\(of) bytes; rerun to resume the download"
        case .transport(let url, let why):
            return "\(url.absoluteString): download failed (\(why))"
        case .hashMismatch(let source, let expected, let actual):
            return "\(source): sha256 is \(actual) but the pipeline pins \(expected); the file changed or is corrupt — check the source, or update `sha256:` if the new content is intended"
        case .badHash(let s):
            return "sha256 '\(s)' must be 64 hexadecimal digits"
        case .localFileMissing(let url):
            return "\(url.path): no such readable file; check `path:` (relative paths start at the pipeline file's folder)"
        case .cacheNotWritable(let dir, let why):
            return "cannot write to the download cache \(dir.path) (\(why)); check permissions and free space, or choose another --cache-dir"
        case .repositoryNotFile(let s):
            return "\(s) names a repository, not a file; add the file's path (hf://owner/repo/path/to/file)"
        }
    }
}
