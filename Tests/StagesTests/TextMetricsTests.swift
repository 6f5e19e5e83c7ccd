import Foundation
import Testing
import TensorCore
import TestSupport
@testable import Stages

@Suite struct TextMetricsTests {
    /// Exponential-time LCS straight from the definition, for cross-checking the DP.
    static func lcsReference(_ a: ArraySlice<Int>, _ b: ArraySlice<Int>) -> Int {
        guard let x = a.first, let y = b.first else { return 0 }
        if x == y { return 1 + lcsReference(a.dropFirst(), b.dropFirst()) }
        return max(lcsReference(a.dropFirst(), b), lcsReference(a, b.dropFirst()))
    }

    @Test func lcsMatchesReferenceOnRandomSequences() {
        var rng = RNG(seed: 42)
        for _ in 0..<200 {
            let a = (0..<rng.next(below: 9)).map { _ in rng.next(below: 4) }
            let b = (0..<rng.next(below: 9)).map { _ in rng.next(below: 4) }
            #expect(TextMetrics.lcsLength(a, b) == Self.lcsReference(a[...], b[...]))
        }
    }

    @Test func rougeLByHand() {
        // LCS "the cat sat" = 3; precision 3/3, recall 3/6 → F1 = 2·1·0.5/1.5.
        #expect(abs(TextMetrics.rougeL("The cat sat.", "the cat sat on the mat") - 200.0 / 3) < 1e-9)
        #expect(TextMetrics.rougeL("same words here", "Same, words; here!") == 100)
        #expect(TextMetrics.rougeL("", "x") == 0 && TextMetrics.rougeL("x", "") == 0)
        #expect(TextMetrics.rougeL("a b", "c d") == 0)
        // Order matters (subsequence, not bag of words): LCS of "b a" and "a b" is 1.
        #expect(abs(TextMetrics.rougeL("b a", "a b") - 50) < 1e-9)
        #expect(TextMetrics.rougeTokens("It's 3,000 km—far!") == ["it", "s", "3", "000", "km", "far"])
    }

    @Test func exactMatchNormalises() {
        #expect(TextMetrics.exactMatch("3000 meters.", "3000 meters") == 100)
        #expect(TextMetrics.exactMatch("  ELPPA \n", "elppa") == 100)
        #expect(TextMetrics.exactMatch("3, 7,  9", "3, 7, 9") == 100)
        #expect(TextMetrics.exactMatch("300", "3000") == 0)
        #expect(TextMetrics.exactMatch("", "") == 100)
    }

    @Test func computedJudgesOnChapter7Responses() async throws {
        guard SharedData.available else { return }
        let responses = try ArtifactFiles.readJSON([ResponseRecord].self, from: SharedData.url("instruction/instruction-data-with-response.json"))
        #expect(responses.count == 110)
        let rouge = try await JudgeStage.score(JudgeConfig(kind: .rougeL), responses: responses, workDirectory: nil)
        let exact = try await JudgeStage.score(JudgeConfig(kind: .exact), responses: responses, workDirectory: nil)
        #expect(rouge.scored == 110 && exact.scored == 110 && rouge.judge == "rouge-l")
        for (i, r) in responses.enumerated() {
            #expect(rouge.items[i].score == TextMetrics.rougeL(r.modelResponse, r.output))
            // An exact match is a perfect ROUGE-L; the reverse need not hold (punctuation/case differ).
            if exact.items[i].score == 100 { #expect(rouge.items[i].score == 100) }
        }
        let expectedExact = Double(responses.filter { TextMetrics.normalizeForExactMatch($0.modelResponse) == TextMetrics.normalizeForExactMatch($0.output) }.count) * 100 / 110
        #expect(exact.mean == expectedExact)
        let mean = try #require(rouge.mean)
        #expect(mean > exact.mean! && mean < 100)
    }
}
