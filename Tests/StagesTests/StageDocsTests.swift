import Foundation
import Testing
import TestSupport
@testable import Stages

/// docs/stages.md (linked from the README) must describe every key each stage kind accepts, so the
/// documentation cannot drift from the configurations: the keys come from the engine's own validation,
/// which lists a kind's known keys when it meets an unknown one.
@Suite struct StageDocsTests {
    static let kinds = ["fetch", "synthetic", "template", "split", "tokenizer", "model", "finetune", "generate", "judge", "report"]

    /// The text of docs/stages.md under the heading "## `kind`" up to the next "## ".
    static func section(_ kind: String, in doc: String) -> String? {
        guard let start = doc.range(of: "\n## `\(kind)`") else { return nil }
        let rest = doc[start.upperBound...]
        let end = rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    @Test(arguments: kinds)
    func everyKeyOfTheKindIsDocumented(kind: String) throws {
        let doc = try String(contentsOf: SharedData.packageRoot.appendingPathComponent("docs/stages.md"), encoding: .utf8)
        let section = try #require(Self.section(kind, in: doc), "docs/stages.md has no section for `\(kind)`")
        let harness = try PipelineHarness()
        // Required references are given (to a stage of any kind) so decoding reaches every key.
        let required: [String: String] = [
            "template": "data: d", "split": "data: d", "judge": "responses: d", "report": "inputs: [d]",
            "finetune": "model: d, data: d, tokenizer: d", "generate": "model: d, data: d, tokenizer: d",
        ]
        let extra = required[kind].map { ", " + $0 } ?? ""
        let messages = harness.errors("stages:\n  d: {uses: synthetic}\n  s: {uses: \(kind)\(extra), zz_not_a_key: 1}\n")
        let line = try #require(messages.first { $0.contains("zz_not_a_key") && $0.contains("known keys: ") })
        let listed = line.components(separatedBy: "known keys: ")[1].components(separatedBy: "\n")[0]
        let keys = listed.components(separatedBy: ", ").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(!keys.isEmpty)
        for key in keys {
            #expect(section.contains("`\(key)`"), "docs/stages.md does not document `\(key)` of `\(kind)`")
        }
    }
}
