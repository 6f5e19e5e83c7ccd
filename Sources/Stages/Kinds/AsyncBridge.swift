import Foundation
import Pipeline

/// Runs the `async` building blocks (downloads, LLM judges) from a stage's synchronous `run`.
///
/// The work runs as a task whose executor drains its jobs on the calling thread. Blocking the caller
/// while a task waits for a thread of Swift's shared pool could deadlock when the caller is itself
/// one of those threads (tests; the pool is as wide as the machine has cores, here 2); this way the
/// task's own work needs no other thread (only a timer — the judge's retry back-off — wakes it through
/// the shared pool, which then needs one free thread). While the task waits on the network the caller
/// polls the stage's cancellation flag and cancels the task, which cancels the request.
enum AsyncBridge {
    static func run<T: Sendable>(_ context: StageContext, _ body: @escaping @Sendable () async throws -> T) throws -> T {
        let executor = CallingThreadExecutor()
        let box = ResultBox<T>()
        let task = Task(executorPreference: executor) {
            let result: Result<T, Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            executor.finish { box.result = result }
        }
        var cancelled = false
        executor.drain {
            if !cancelled, context.isCancelled {
                cancelled = true
                task.cancel()
            }
        }
        switch box.result! {
        case .success(let value): return value
        case .failure(let error):
            if context.isCancelled || error is CancellationError { throw StageCancelled() }
            throw error
        }
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// A task executor whose jobs run on the thread that calls `drain`.
final class CallingThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var done = false

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Called by the task as its last act.
    func finish(_ store: () -> Void) {
        condition.lock()
        store()
        done = true
        condition.signal()
        condition.unlock()
    }

    /// Runs jobs until the task finished; calls `idle` at least every 0.1 s while waiting.
    func drain(idle: () -> Void) {
        while true {
            condition.lock()
            while jobs.isEmpty && !done {
                if !condition.wait(until: Date().addingTimeInterval(0.1)) {
                    condition.unlock()
                    idle()
                    condition.lock()
                }
            }
            if jobs.isEmpty && done {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
