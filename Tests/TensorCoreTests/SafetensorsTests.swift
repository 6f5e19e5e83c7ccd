import Foundation
import Testing
@testable import TensorCore

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/safetensors")

private struct Expected: Decodable {
    struct Entry: Decodable { let dtype: String; let shape: [Int]; let bits: [Int32] }
    let metadata: [String: String]
    let tensors: [String: Entry]
}

/// A scratch directory removed when the test ends.
private final class Scratch {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("finch-st-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: dir) }
    func url(_ name: String) -> URL { dir.appendingPathComponent(name) }

    /// A file made of a little-endian header length (by default the header's), the header and `data`.
    func file(_ name: String, header: String, data: [UInt8] = [], length: UInt64? = nil) throws -> URL {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (length ?? UInt64(header.utf8.count)).littleEndian) { bytes += $0 }
        bytes += Array(header.utf8) + data
        let u = url(name)
        try Data(bytes).write(to: u)
        return u
    }
}

private func entry(_ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
    #"{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[\#(begin),\#(end)]}"#
}

@Suite struct SafetensorsTests {
    @Test func readsFilesWrittenByPythonSafetensors() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: fixtures.appendingPathComponent("python.expected.json")))
        let file = try SafetensorsFile(url: fixtures.appendingPathComponent("python.safetensors"))
        #expect(file.metadata == expected.metadata)
        #expect(Set(file.names) == Set(expected.tensors.keys))
        for (name, want) in expected.tensors {
            let e = try file.entry(name)
            #expect(e.dtype.rawValue == want.dtype && e.shape == want.shape)
            let t = try file.tensor(name)
            #expect(t.shape == want.shape)
            // NaN payloads are not compared: PyTorch turns every NaN into 0x7FFFFFFF when widening, while
            // Finch keeps the payload as IEEE 754 (and NumPy, and Swift's Float16) do.
            for (got, bits) in zip(t.toArray(), want.bits) {
                let expected = Float(bitPattern: UInt32(bitPattern: bits))
                if expected.isNaN { #expect(got.isNaN, "\(name)") } else { #expect(got.bitPattern == expected.bitPattern, "\(name)") }
            }
            #expect(t.count == want.bits.count)
        }
        #expect(Set(expected.tensors.values.map(\.dtype)) == ["F32", "F16", "BF16"])
    }

    @Test func halfToFloatIsExactForEveryBitPattern() {
        #if !(os(macOS) && arch(x86_64))
        for bits in 0...UInt16.max {
            let mine = HalfPrecision.float(fromF16: bits), swift = Float(Float16(bitPattern: bits))
            if swift.isNaN { #expect(mine.isNaN && mine.sign == swift.sign) } else { #expect(mine.bitPattern == swift.bitPattern) }
        }
        #endif
        #expect(HalfPrecision.float(fromF16: 0x3C00) == 1)
        #expect(HalfPrecision.float(fromF16: 0x0001) == 0x1p-24)
        #expect(HalfPrecision.float(fromF16: 0xFC00) == -.infinity)
        #expect(HalfPrecision.float(fromBF16: 0x3F80) == 1)
        #expect(HalfPrecision.float(fromBF16: 0xC040) == -3)
    }

    @Test func writeThenReadRoundTripsWithMetadata() throws {
        let s = try Scratch()
        let tensors: [String: Tensor] = [
            "h.0.attn.c_attn.weight": Tensor(shape: [2, 3], values: [1, -2, 3.5, .greatestFiniteMagnitude, -0.0, .leastNonzeroMagnitude]),
            "wte.weight": Tensor(shape: [3], values: [0.1, 0.2, 0.3]),
            "scalar": Tensor(shape: [], values: [42]),
            "empty": Tensor(zeros: [0, 4]),
        ]
        let metadata = ["format": "pt", "quote\"and\\slash\n": "größe ✓\t"]
        let url = s.url("out.safetensors")
        try SafetensorsWriter.write(tensors, metadata: metadata, to: url)
        let file = try SafetensorsFile(url: url)
        #expect(file.metadata == metadata)
        for (name, t) in tensors {
            let back = try file.tensor(name)
            #expect(back.shape == t.shape)
            #expect(back.toArray().map(\.bitPattern) == t.toArray().map(\.bitPattern))
        }
        let into = Tensor(zeros: [3])
        try file.read("wte.weight", into: into)
        #expect(into.toArray() == [0.1, 0.2, 0.3])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: s.dir.path)
        #expect(leftovers == ["out.safetensors"])
    }

    @Test func outputIsDeterministicSortedAndAligned() throws {
        let s = try Scratch()
        let a = Tensor(shape: [2], values: [1, 2]), b = Tensor(shape: [1], values: [3]), c = Tensor(shape: [3], values: [4, 5, 6])
        try SafetensorsWriter.write([("b", b), ("c", c), ("a", a)], metadata: ["y": "1", "x": "2"], to: s.url("1.safetensors"))
        try SafetensorsWriter.write([("a", a), ("c", c), ("b", b)], metadata: ["x": "2", "y": "1"], to: s.url("2.safetensors"))
        let one = try Data(contentsOf: s.url("1.safetensors")), two = try Data(contentsOf: s.url("2.safetensors"))
        #expect(one == two)
        let length = Int(one.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect(length % 8 == 0)
        let header = String(decoding: one[8..<(8 + length)], as: UTF8.self)
        #expect(header.hasPrefix(#"{"__metadata__":{"x":"2","y":"1"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":"#))
        #expect(one.count == 8 + length + 24)
        #expect(try SafetensorsFile(url: s.url("1.safetensors")).names == ["a", "b", "c"])
    }

    @Test func writerRejectsBadNames() throws {
        let s = try Scratch()
        let t = Tensor(zeros: [1])
        for (tensors, problem) in [([("", t)], "empty"), ([("__metadata__", t)], "reserved"), ([("x", t), ("x", t)], "twice")] {
            do {
                try SafetensorsWriter.write(tensors, to: s.url("bad.safetensors"))
                Issue.record("\(problem) should be rejected")
            } catch {
                #expect(error.localizedDescription.contains(problem) && error.localizedDescription.contains("bad.safetensors"))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: s.url("bad.safetensors").path))
    }

    // MARK: hostile files — each one a distinct error naming the file, never a crash

    private func expectError(_ url: URL, _ check: (SafetensorsError) -> Bool, _ words: String) {
        do {
            let file = try SafetensorsFile(url: url)
            Issue.record("\(url.lastPathComponent) was accepted: \(file.names)")
        } catch let error as SafetensorsError {
            #expect(check(error), "unexpected error \(error)")
            let message = error.localizedDescription
            #expect(message.contains(url.path) && message.contains(words), "\(message)")
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }

    @Test func truncatedFile() throws {
        let s = try Scratch()
        let url = s.url("short.safetensors")
        try Data([1, 0, 0]).write(to: url)
        expectError(url, { if case .truncated = $0 { true } else { false } }, "truncated")
        // A download cut inside the tensor data: the header is intact but promises bytes that are missing.
        let whole = s.url("whole.safetensors")
        try SafetensorsWriter.write(["w": Tensor(shape: [4], repeating: 1)], to: whole)
        let cut = s.url("cut-data.safetensors")
        try Data(contentsOf: whole).dropLast(3).write(to: cut)
        expectError(cut, { if case .offsetsOutOfRange(_, "w", 0, 16, 13) = $0 { true } else { false } }, "outside the 13-byte")
        let empty = s.url("empty.safetensors")
        try Data().write(to: empty)
        expectError(empty, { if case .truncated = $0 { true } else { false } }, "0 bytes")
    }

    @Test func headerLengthBeyondFile() throws {
        let s = try Scratch()
        let header = "{" + #""a":"# + entry("F32", [1], 0, 4) + "}"
        expectError(try s.file("cut.safetensors", header: header, data: [0, 0, 0, 0], length: 4000),
                    { if case .headerBeyondFile = $0 { true } else { false } }, "beyond the end")
        expectError(try s.file("huge.safetensors", header: header, length: UInt64.max),
                    { if case .headerTooLarge = $0 { true } else { false } }, "100 MB")
    }

    @Test func headerThatIsNotJSON() throws {
        let s = try Scratch()
        expectError(try s.file("text.safetensors", header: "{this is not json}"),
                    { if case .headerNotJSON = $0 { true } else { false } }, "not a JSON object")
        expectError(try s.file("array.safetensors", header: "[1, 2]"),
                    { if case .headerNotJSON = $0 { true } else { false } }, "not a JSON object")
    }

    @Test func overlappingOffsets() throws {
        let s = try Scratch()
        let header = "{" + #""a":"# + entry("F32", [2], 0, 8) + #","b":"# + entry("F32", [2], 4, 12) + "}"
        expectError(try s.file("overlap.safetensors", header: header, data: Array(repeating: 0, count: 12)),
                    { $0 == .overlappingTensors(file: s.url("overlap.safetensors").path, first: "a", second: "b") }, "overlap")
    }

    @Test func outOfRangeOffsets() throws {
        let s = try Scratch()
        let header = "{" + #""a":"# + entry("F32", [2], 8, 16) + "}"
        expectError(try s.file("range.safetensors", header: header, data: Array(repeating: 0, count: 8)),
                    { if case .offsetsOutOfRange(_, "a", 8, 16, 8) = $0 { true } else { false } }, "outside the 8-byte data section")
    }

    @Test func unknownAndUnsupportedDTypes() throws {
        let s = try Scratch()
        expectError(try s.file("q.safetensors", header: "{" + #""a":"# + entry("Q4", [2], 0, 1) + "}", data: [0]),
                    { if case .unknownDType(_, "a", "Q4") = $0 { true } else { false } }, "unknown dtype 'Q4'")
        expectError(try s.file("i64.safetensors", header: "{" + #""ids":"# + entry("I64", [1], 0, 8) + "}", data: Array(repeating: 0, count: 8)),
                    { if case .unsupportedDType(_, "ids", "I64") = $0 { true } else { false } }, "F32, F16 and BF16")
    }

    @Test func shapeAndSizeMismatch() throws {
        let s = try Scratch()
        let header = "{" + #""w":"# + entry("BF16", [2, 3], 0, 8) + "}"
        expectError(try s.file("size.safetensors", header: header, data: Array(repeating: 0, count: 8)),
                    { if case .sizeMismatch(_, "w", "BF16", [2, 3], 12, 8) = $0 { true } else { false } }, "needs 12 bytes")
    }

    @Test func gapsMalformedEntriesAndMetadata() throws {
        let s = try Scratch()
        let gap = "{" + #""a":"# + entry("F32", [1], 4, 8) + "}"
        expectError(try s.file("gap.safetensors", header: gap, data: Array(repeating: 0, count: 8)),
                    { if case .unusedBytes(_, 0, 4) = $0 { true } else { false } }, "belong to no tensor")
        let negative = "{" + #""a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}"# + "}"
        expectError(try s.file("neg.safetensors", header: negative, data: [0, 0, 0, 0]),
                    { if case .invalidEntry(_, "a", _) = $0 { true } else { false } }, "non-negative integer")
        let meta = #"{"__metadata__":{"epoch":3}}"#
        expectError(try s.file("meta.safetensors", header: meta),
                    { if case .invalidMetadata = $0 { true } else { false } }, "'epoch' is not a string")
    }

    @Test func randomlyCorruptedFilesNeverCrash() throws {
        let s = try Scratch()
        let original = try Data(contentsOf: fixtures.appendingPathComponent("python.safetensors"))
        let headerEnd = 8 + Int(original.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var rng = RNG(seed: 2024)
        var rejected = 0
        let url = s.url("fuzz.safetensors")
        for round in 0..<300 {
            var bytes = [UInt8](original)
            // Mostly hit the header (where parsing happens), sometimes the length prefix, sometimes truncate.
            for _ in 0..<(1 + rng.next(below: 4)) {
                let at = rng.next(below: 10) == 0 ? rng.next(below: 8) : rng.next(below: headerEnd)
                bytes[at] = rng.next(below: 2) == 0 ? UInt8(rng.next(below: 256)) : Array("{}[],:\"0123456789-".utf8)[rng.next(below: 18)]
            }
            if round % 7 == 0 { bytes.removeLast(rng.next(below: bytes.count)) }
            try Data(bytes).write(to: url)
            do {
                _ = try SafetensorsFile(url: url).readAll()
            } catch is SafetensorsError {
                rejected += 1
            }
        }
        #expect(rejected > 150)
    }

    @Test func missingTensorAndWrongShapeOnRead() throws {
        let s = try Scratch()
        let url = s.url("w.safetensors")
        try SafetensorsWriter.write(["w": Tensor(zeros: [2, 2])], to: url)
        let file = try SafetensorsFile(url: url)
        #expect(throws: SafetensorsError.tensorNotFound(file: url.path, tensor: "v", available: ["w"])) { try file.tensor("v") }
        #expect(throws: SafetensorsError.shapeMismatch(file: url.path, tensor: "w", found: [2, 2], expected: [4])) {
            try file.read("w", into: Tensor(zeros: [4]))
        }
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(url: s.url("absent.safetensors")) }
    }
}
