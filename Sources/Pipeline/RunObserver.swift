import Foundation

/// Receives what a run does; the console display implements it, tests may record it.
public protocol RunObserver: AnyObject, Sendable {
    func stageCached(_ name: String, kind: String)
    func stageStarted(_ name: String, kind: String)
    func stageProgress(_ name: String, _ progress: StageProgress)
    func stageFinished(_ name: String, status: String, seconds: Double, error: String?)
    func message(_ text: String)
}

/// Progress on stderr. On a terminal: a live line for the running stage with step/total, rate
/// and ETA, redrawn at most 10 times a second. Otherwise: plain lines, progress every 10%.
public final class ConsoleProgress: RunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private let live: Bool
    private var started: [String: Date] = [:]
    private var lastDraw = Date.distantPast
    private var lastPlainDecile: [String: Int] = [:]
    private var hasLine = false

    public init(live: Bool = isatty(STDERR_FILENO) == 1) { self.live = live }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }

    private func clear() {
        if hasLine { write("\r\u{1B}[K"); hasLine = false }
    }

    public func stageCached(_ name: String, kind: String) {
        lock.withLock { clear(); write("  cached  \(name) (\(kind))\n") }
    }

    public func stageStarted(_ name: String, kind: String) {
        lock.withLock {
            started[name] = Date()
            clear()
            if live { write("\r  ▸ \(name) (\(kind))"); hasLine = true } else { write("  start   \(name) (\(kind))\n") }
        }
    }

    public func stageProgress(_ name: String, _ p: StageProgress) {
        lock.withLock {
            let elapsed = Date().timeIntervalSince(started[name] ?? Date())
            let rate = elapsed > 0 ? Double(p.step) / elapsed : 0
            let eta = rate > 0 && p.total > p.step ? Double(p.total - p.step) / rate : 0
            let pct = p.total > 0 ? Int(100 * Double(p.step) / Double(p.total)) : 0
            let note = p.note.map { "  \($0)" } ?? ""
            let text = "\(name)  \(p.step)/\(p.total) \(p.unit)s  \(pct)%  \(Self.rate(rate)) \(p.unit)/s  ETA \(Self.duration(eta))\(note)"
            if live {
                guard Date().timeIntervalSince(lastDraw) >= 0.1 || p.step == p.total else { return }
                lastDraw = Date()
                write("\r\u{1B}[K  ▸ \(text)")
                hasLine = true
            } else {
                let decile = p.total > 0 ? p.step * 10 / p.total : 0
                guard decile > (lastPlainDecile[name] ?? 0) else { return }
                lastPlainDecile[name] = decile
                write("  progress \(text)\n")
            }
        }
    }

    public func stageFinished(_ name: String, status: String, seconds: Double, error: String?) {
        lock.withLock {
            clear()
            let tail = error.map { ": \($0)" } ?? ""
            write("  \(status.padding(toLength: 7, withPad: " ", startingAt: 0)) \(name) in \(Self.duration(seconds))\(tail)\n")
        }
    }

    public func message(_ text: String) {
        lock.withLock { clear(); write("finch: \(text)\n") }
    }

    static func rate(_ r: Double) -> String { r >= 100 ? String(format: "%.0f", r) : String(format: "%.2f", r) }

    static func duration(_ s: Double) -> String {
        if s < 60 { return String(format: "%.2fs", s) }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}

/// Discards progress; keeps messages (lock take-overs) for callers that want them.
public final class QuietObserver: RunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var _messages: [String] = []
    public init() {}
    public var messages: [String] { lock.withLock { _messages } }
    public func stageCached(_ name: String, kind: String) {}
    public func stageStarted(_ name: String, kind: String) {}
    public func stageProgress(_ name: String, _ progress: StageProgress) {}
    public func stageFinished(_ name: String, status: String, seconds: Double, error: String?) {}
    public func message(_ text: String) { lock.withLock { _messages.append(text) } }
}
