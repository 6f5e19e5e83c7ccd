import Foundation
import Pipeline
import Testing

/// Hostile files are rejected quickly with an error: no hang, no crash, no unbounded memory.
@Suite struct HostileInputTests {
    func rejectQuickly(_ bytes: [UInt8], expect fragment: String) {
        let s = Scratch()
        let url = s.dir.appendingPathComponent("evil.yaml")
        let start = Date()
        var message = ""
        do {
            _ = try PipelineLoader(registry: testRegistry()).load(bytes: bytes, file: url, displayName: "evil.yaml")
            message = "accepted"
        } catch let e as SpecErrors {
            message = e.errorDescription ?? ""
        } catch {
            message = "other error: \(error)"
        }
        let seconds = Date().timeIntervalSince(start)
        #expect(seconds < 1, "took \(seconds) s")
        #expect(message.contains("evil.yaml:"), "\(message.prefix(300))")
        #expect(message.contains(fragment), "\(message.prefix(300))")
    }

    @Test func aliasBomb() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ")
            text += "a\(i): &a\(i) [\(refs)]\n"
        }
        text += "stages: {s: {uses: source, text: *a9}}\n"
        rejectQuickly(Array(text.utf8), expect: "anchors (&a0) and aliases are not supported")
    }

    @Test func aliasBombAsMappingKeys() {
        // Keys that alias huge nodes would make a hashing composer explode; ours never expands them.
        var text = "a0: &a0 [x, x, x, x, x, x, x, x]\n"
        for i in 1...8 { text += "a\(i): &a\(i) [\(Array(repeating: "*a\(i - 1)", count: 8).joined(separator: ", "))]\n" }
        text += "b: {? *a8 : 1, ? *a8 : 2}\n"
        rejectQuickly(Array(text.utf8), expect: "aliases (*a8) are not supported")
    }

    @Test func deepFlowNesting() {
        rejectQuickly(Array(("stages: " + String(repeating: "[", count: 200_000)).utf8), expect: "esting")
    }

    @Test func deepBlockNesting() {
        var text = "stages:\n"
        for i in 0..<300 { text += String(repeating: " ", count: i + 1) + "k\(i):\n" }
        rejectQuickly(Array(text.utf8), expect: "nesting deeper than 64 levels")
    }

    @Test func binaryGarbage() {
        // A fixed linear congruential stream, so the garbage is the same on every run.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = (0..<100_000).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        bytes[0] = 0xFF  // certainly not UTF-8
        rejectQuickly(bytes, expect: "not UTF-8")
        // Valid text followed by NUL bytes (a truncated binary file).
        rejectQuickly(Array("name: x\nstages:\n".utf8) + [UInt8](repeating: 0, count: 1000), expect: "evil.yaml:3:1")
    }

    @Test func controlCharacters() {
        rejectQuickly(Array("name: a\u{01}b\nstages: {}\n".utf8), expect: "control characters are not allowed")
    }

    @Test func emptyFile() {
        rejectQuickly([], expect: "empty pipeline file")
    }

    @Test func oversizedFile() {
        rejectQuickly(Array(repeating: UInt8(ascii: "#"), count: 2 << 20), expect: "pipeline files are limited to")
    }

    @Test func manyNodes() {
        let text = "stages: [" + String(repeating: "1,", count: 300_000) + "1]\n"
        rejectQuickly(Array(text.utf8), expect: "YAML nodes")
    }
}
