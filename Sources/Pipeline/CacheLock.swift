import Foundation

/// One lock per cache directory. It is an `flock` on `<cache>/lock`, so the kernel releases it
/// when its holder dies; the file also names the holder (pid, host, start time) for messages.
/// Finding the file filled in while the lock is free means the previous holder died: that is
/// reported and the lock is taken over.
public final class CacheLock {
    public struct Holder: Codable, Sendable, CustomStringConvertible {
        public let pid: Int32
        public let host: String
        public let started: Date
        public let command: String

        public var description: String {
            "pid \(pid) on \(host), started \(RunRecord.dateFormatter.string(from: started)) (\(command))"
        }
    }

    private let fd: Int32
    private let url: URL

    /// Takes the lock, waiting up to `wait` seconds for a live holder; `notice` receives the
    /// take-over message for a lock left by a dead process.
    public init(store: ArtifactStore, command: String, wait: TimeInterval, notice: (String) -> Void) throws {
        try store.prepare()
        url = store.root.appendingPathComponent("lock")
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PipelineError.io("cannot open lock \(url.path): \(String(cString: strerror(errno)))") }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if Date() >= deadline {
                let holder = Self.readHolder(url).map { "\($0)" } ?? "another process"
                close(fd)
                throw PipelineError.lockHeld("the cache \(store.root.path) is in use by \(holder); wait for it to finish, or pass --wait SECONDS")
            }
            usleep(100_000)
        }
        if let previous = Self.readHolder(url) {
            notice("taking over the cache lock left by \(previous), which is no longer running")
        }
        let me = Holder(pid: getpid(), host: ProcessInfo.processInfo.hostName, started: Date(), command: command)
        let data = (try? JSONEncoder().encode(me)) ?? Data()
        ftruncate(fd, 0)
        _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        fsync(fd)
    }

    /// Empties the holder record and releases the lock.
    public func release() {
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }

    static func readHolder(_ url: URL) -> Holder? {
        guard let data = try? Data(contentsOf: url), !data.isEmpty else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: data)
    }
}
