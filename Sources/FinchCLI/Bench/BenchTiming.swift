import Foundation

/// Repeated timing with medians: the machines are shared, so single runs mislead.
enum BenchTiming {
    /// Seconds per call of `body`, one figure per repetition. Each repetition runs `body` until at
    /// least `minTime` seconds have passed (at least once), after one untimed warm-up call.
    static func secondsPerCall(repetitions: Int, minTime: Double, warmUp: Bool = true, _ body: () -> Void) -> [Double] {
        if warmUp { body() }
        return (0..<max(repetitions, 1)).map { _ in
            var calls = 0
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            repeat {
                body()
                calls += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            } while elapsed < minTime
            return elapsed / Double(calls)
        }
    }

    static func median(_ xs: [Double]) -> Double {
        precondition(!xs.isEmpty, "median of nothing")
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
