import Foundation

/// Set by Ctrl-C; stages poll it through `StageContext.checkCancellation()`.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    public var isCancelled: Bool { lock.withLock { value } }
    public func cancel() { lock.withLock { value = true } }

    /// Routes SIGINT and SIGTERM to this flag: the first asks for a clean stop, a second one ends
    /// the process at once.
    public func installSignalHandlers(notice: @escaping @Sendable (String) -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [weak self] in
                guard let self else { return }
                if self.isCancelled {
                    signal(sig, SIG_DFL)
                    raise(sig)
                }
                self.cancel()
                notice("stopping after the current step (press Ctrl-C again to stop at once)")
            }
            s.resume()
            sources.append(s)
        }
    }
}
