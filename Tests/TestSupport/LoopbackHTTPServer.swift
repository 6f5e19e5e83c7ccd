#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A tiny HTTP/1.1 server on 127.0.0.1 for tests: binds port 0 (the kernel picks a free port), answers each
/// request with a handler closure on its own thread, one request per connection (`Connection: close`).
///
/// It is bounded so a test can never leave it behind: it serves at most `maxRequests`, stops itself after
/// `lifetime` seconds, and stops on `stop()` or deinit. It only ever listens on the loopback address.
/// Responses can be delayed, sent without `Content-Length`, or cut short, to exercise clients' error paths.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: Data

        public func header(_ name: String) -> String? { headers[name.lowercased()] }
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
        public var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: Data
        /// Seconds to wait before sending anything (simulates a slow server).
        public var delay: TimeInterval
        /// Send a `Content-Length` header (otherwise the body ends when the connection closes).
        public var includeContentLength: Bool
        /// Send only this many body bytes, then close (a truncated transfer).
        public var truncateAfter: Int?

        public init(status: Int = 200, headers: [(String, String)] = [], body: Data = Data(), delay: TimeInterval = 0,
                    includeContentLength: Bool = true, truncateAfter: Int? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
            self.includeContentLength = includeContentLength
            self.truncateAfter = truncateAfter
        }

        public static func text(_ s: String, status: Int = 200) -> Response {
            Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Data(s.utf8))
        }

        public static func json(_ object: Any, status: Int = 200) -> Response {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return Response(status: status, headers: [("Content-Type", "application/json")], body: data)
        }
    }

    public typealias Handler = @Sendable (Request) -> Response

    public let port: UInt16
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    private let listener: Int32
    private let handler: Handler
    private let maxRequests: Int
    private let deadline: Date
    private let lock = NSLock()
    private var stopped = false
    private var served = 0
    private var log: [Request] = []
    private let acceptLoopDone = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - lifetime: seconds after which the server stops by itself (default 60).
    ///   - maxRequests: requests served before it stops accepting (default 10,000).
    public init(lifetime: TimeInterval = 60, maxRequests: Int = 10_000, handler: @escaping Handler) throws {
        self.handler = handler
        self.maxRequests = maxRequests
        self.deadline = Date().addingTimeInterval(lifetime)
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ServerError.socket("socket", errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { let e = errno; close(fd); throw ServerError.socket("bind/listen", e) }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        port = UInt16(bigEndian: actual.sin_port)
        let thread = Thread { [unowned self] in self.acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting and closes the listening socket; in-flight delayed replies are abandoned.
    public func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        if !wasStopped { acceptLoopDone.wait() }
    }

    /// Requests received so far, in arrival order.
    public var requests: [Request] {
        lock.lock(); defer { lock.unlock() }
        return log
    }

    private var isStopped: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopped || Date() > deadline || served >= maxRequests
    }

    private func acceptLoop() {
        defer {
            close(listener)
            acceptLoopDone.signal()
        }
        while !isStopped {
            var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            lock.lock(); served += 1; lock.unlock()
            Thread { [self] in self.serve(client) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let request = readRequest(fd) else { return }
        lock.lock(); log.append(request); lock.unlock()
        let response = handler(request)
        var waited = 0.0
        while waited < response.delay {
            if isStoppedExplicitly { return }
            Thread.sleep(forTimeInterval: 0.02)
            waited += 0.02
        }
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\nConnection: close\r\n"
        for (k, v) in response.headers { head += "\(k): \(v)\r\n" }
        if response.includeContentLength { head += "Content-Length: \(response.body.count)\r\n" }
        head += "\r\n"
        var bytes = Data(head.utf8)
        bytes.append(response.body.prefix(response.truncateAfter ?? response.body.count))
        sendAll(fd, bytes)
        shutdown(fd, Int32(SHUT_WR))
    }

    private var isStoppedExplicitly: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopped
    }

    private func readRequest(_ fd: Int32) -> Request? {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        let separator = Data("\r\n\r\n".utf8)
        var headerEnd: Range<Data.Index>?
        while headerEnd == nil {
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return nil }
            buffer.append(contentsOf: chunk[0..<n])
            headerEnd = buffer.range(of: separator)
            if buffer.count > 1 << 20 { return nil }
        }
        let headText = String(decoding: buffer[buffer.startIndex..<headerEnd!.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(buffer[headerEnd!.upperBound...])
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while body.count < length {
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return nil }
            body.append(contentsOf: chunk[0..<n])
        }
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
    }

    private func sendAll(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                #if canImport(Glibc)
                let n = send(fd, p, left, Int32(MSG_NOSIGNAL))  // a client that gave up must not kill the test process
                #else
                let n = send(fd, p, left, 0)
                #endif
                guard n > 0 else { return }
                p += n
                left -= n
            }
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 206: return "Partial Content"
        case 302: return "Found"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 416: return "Range Not Satisfiable"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }

    /// A loopback port with nothing listening (bound, then closed), for "connection refused" tests.
    public static func closedPort() throws -> UInt16 {
        let server = try LoopbackHTTPServer(lifetime: 1) { _ in Response() }
        let port = server.port
        server.stop()
        return port
    }

    public enum ServerError: Error, CustomStringConvertible {
        case socket(String, Int32)
        public var description: String {
            switch self { case .socket(let call, let e): return "\(call) failed: \(String(cString: strerror(e)))" }
        }
    }
}
