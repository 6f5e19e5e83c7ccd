import Foundation
import Testing
@testable import Tokenizers

/// Swift's Unicode properties must class every scalar as tiktoken's regex engine does
/// (`\s`, `\p{L}`, `\p{N}`); the fixture was probed from tiktoken itself.
struct ScalarClassTests {
    struct Table: Decodable { var runs: [[UInt32]] }

    @Test func everyScalarMatchesTiktoken() throws {
        let runs = try Fixtures.json("scalar_classes.json", as: Table.self).runs
        var mismatches: [String] = []
        for (k, run) in runs.enumerated() {
            let end = k + 1 < runs.count ? runs[k + 1][0] : 0x110000
            for v in run[0]..<end {
                guard let u = Unicode.Scalar(v) else { continue }
                let c = ScalarClass.of(u)
                let mine: UInt32 = c.isWhitespace ? 3 : UInt32(c.rawValue)
                if mine != run[1] { mismatches.append(String(format: "U+%04X swift %d tiktoken %d", v, mine, run[1])) }
                // The fast path's table agrees with the properties for the basic plane.
                if v < 0x10000 { #expect(ScalarClass.basicPlane[Int(v)] == c.rawValue) }
            }
        }
        #expect(mismatches.count == 0, "\(mismatches.count) scalars differ, first: \(mismatches.prefix(20))")
    }
}
