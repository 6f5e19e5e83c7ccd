import Foundation
import Testing
@testable import TensorCore

@Suite struct ScheduleTests {
    @Test func constantIgnoresWarmupAndLength() throws {
        let s = try LRSchedule(ScheduleConfig(), peakLR: 5e-5, totalSteps: 10)
        #expect([0, 1, 9, 10, 1000].map(s.lr(at:)) == [5e-5, 5e-5, 5e-5, 5e-5, 5e-5])
    }

    @Test func linearWarmupReachesPeakOnItsLastStep() throws {
        let s = try LRSchedule(ScheduleConfig(kind: .warmup, warmupSteps: 4), peakLR: 2, totalSteps: 10)
        #expect((0..<7).map(s.lr(at:)) == [0.5, 1, 1.5, 2, 2, 2, 2])
    }

    @Test func cosineWithWarmupAndFloorByHand() throws {
        // peak 1, W = 2, T = 6, floor 0.1: after warm-up, 0.1 + 0.45 (1 + cos(π (s-2)/4)).
        let s = try LRSchedule(ScheduleConfig(kind: .cosine, warmupSteps: 2, minLRRatio: 0.1), peakLR: 1, totalSteps: 6)
        let expected = [0.5, 1, 1, 0.1 + 0.45 * (1 + 0.5.squareRoot()), 0.55, 0.1 + 0.45 * (1 - 0.5.squareRoot()), 0.1, 0.1]
        for (step, want) in zip([0, 1, 2, 3, 4, 5, 6, 100], expected) {
            #expect(abs(s.lr(at: step) - want) < 1e-12, "step \(step): \(s.lr(at: step)) vs \(want)")
        }
    }

    @Test func cosineWithoutWarmupStartsAtPeakAndDecaysMonotonically() throws {
        let s = try LRSchedule(ScheduleConfig(kind: .cosine, minLRRatio: 0), peakLR: 3e-4, totalSteps: 50)
        #expect(s.lr(at: 0) == 3e-4)
        let values = (0...50).map(s.lr(at:))
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(abs(s.lr(at: 25) - 1.5e-4) < 1e-15)
        #expect(s.lr(at: 50) == 0)
    }

    @Test func configDecodesSnakeCaseWithDefaults() throws {
        let c = try JSONDecoder().decode(ScheduleConfig.self, from: Data(#"{"kind": "cosine", "warmup_steps": 20}"#.utf8))
        #expect(c == ScheduleConfig(kind: .cosine, warmupSteps: 20, minLRRatio: 0.1))
        #expect(try JSONDecoder().decode(ScheduleConfig.self, from: Data("{}".utf8)) == ScheduleConfig())
        #expect(try JSONDecoder().decode(ScheduleConfig.self, from: JSONEncoder().encode(c)) == c)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ScheduleConfig.self, from: Data(#"{"kind": "exponential"}"#.utf8))
        }
    }

    @Test func invalidSchedulesAreRejected() {
        let bad: [(ScheduleConfig, String)] = [
            (ScheduleConfig(kind: .warmup), "schedule.warmup_steps"),
            (ScheduleConfig(kind: .cosine, warmupSteps: -1), "schedule.warmup_steps"),
            (ScheduleConfig(kind: .cosine, minLRRatio: 1.5), "schedule.min_lr_ratio"),
        ]
        for (config, name) in bad {
            do {
                _ = try LRSchedule(config, peakLR: 1, totalSteps: 10)
                Issue.record("\(config) should be rejected")
            } catch {
                #expect(error.localizedDescription.contains("'\(name)'"), "\(error.localizedDescription)")
            }
        }
    }
}
