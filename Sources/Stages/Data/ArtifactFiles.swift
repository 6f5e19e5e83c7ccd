import Foundation

/// File names and JSON read/write helpers for the artifacts the data stages exchange. Every artifact is a
/// directory; these are the files inside it. JSON is written pretty-printed with sorted keys so an artifact's
/// bytes depend only on its content (its hash is then stable across runs).
public enum ArtifactFiles {
    public static let records = "records.json"
    public static let prompts = "prompts.json"
    public static let splitFiles: [Splits.Part: String] = [.train: "train.json", .test: "test.json", .validation: "validation.json"]
    public static let responses = "responses.json"
    public static let scores = "scores.json"

    // MARK: typed helpers

    public static func writeRecords(_ records: [InstructionRecord], to dir: URL) throws {
        try writeJSON(records, to: dir.appendingPathComponent(records_))
    }
    public static func readRecords(from dir: URL) throws -> [InstructionRecord] {
        try readJSON([InstructionRecord].self, from: dir.appendingPathComponent(records_))
    }

    public static func writePrompts(_ prompts: [PromptRecord], to dir: URL) throws {
        try writeJSON(prompts, to: dir.appendingPathComponent(self.prompts))
    }
    public static func readPrompts(from dir: URL) throws -> [PromptRecord] {
        try readJSON([PromptRecord].self, from: dir.appendingPathComponent(self.prompts))
    }

    public static func writeSplits(_ splits: Splits, to dir: URL) throws {
        for part in Splits.Part.allCases {
            try writeJSON(splits[part], to: dir.appendingPathComponent(splitFiles[part]!))
        }
    }
    public static func readSplits(from dir: URL) throws -> Splits {
        func read(_ part: Splits.Part) throws -> [PromptRecord] {
            try readJSON([PromptRecord].self, from: dir.appendingPathComponent(splitFiles[part]!))
        }
        return Splits(train: try read(.train), test: try read(.test), validation: try read(.validation))
    }

    public static func writeResponses(_ responses: [ResponseRecord], to dir: URL) throws {
        try writeJSON(responses, to: dir.appendingPathComponent(self.responses))
    }
    public static func readResponses(from dir: URL) throws -> [ResponseRecord] {
        try readJSON([ResponseRecord].self, from: dir.appendingPathComponent(self.responses))
    }

    public static func writeScores(_ scores: ScoreSet, to dir: URL) throws {
        try writeJSON(scores, to: dir.appendingPathComponent(self.scores))
    }
    public static func readScores(from dir: URL) throws -> ScoreSet {
        try readJSON(ScoreSet.self, from: dir.appendingPathComponent(self.scores))
    }

    private static var records_: String { records }

    // MARK: generic JSON

    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// Writes through a temporary file and a rename, so a reader never sees half a file.
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let data: Data
        do { data = try encoder().encode(value) } catch {
            throw ArtifactError.encode(url, "\(error)")
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw ArtifactError.write(url, error.localizedDescription)
        }
    }

    public static func readJSON<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ArtifactError.missing(url)
        }
        do { return try JSONDecoder().decode(type, from: data) } catch let error as DecodingError {
            throw ArtifactError.decode(url, describe(error))
        } catch {
            throw ArtifactError.decode(url, "\(error)")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ ctx: DecodingError.Context) -> String {
            let p = ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "top level" : p
        }
        switch error {
        case .keyNotFound(let key, let ctx): return "missing key '\(key.stringValue)' at \(path(ctx))"
        case .typeMismatch(let type, let ctx): return "expected \(type) at \(path(ctx)): \(ctx.debugDescription)"
        case .valueNotFound(let type, let ctx): return "null where \(type) was expected at \(path(ctx))"
        case .dataCorrupted(let ctx): return "invalid JSON at \(path(ctx)): \(ctx.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

public enum ArtifactError: LocalizedError, Equatable {
    case missing(URL)
    case decode(URL, String)
    case encode(URL, String)
    case write(URL, String)

    public var errorDescription: String? {
        switch self {
        case .missing(let url): return "\(url.path): artifact file is missing or unreadable; rerun the stage that produces it (e.g. with --force)"
        case .decode(let url, let why): return "\(url.path): not a valid artifact file (\(why)); rerun the stage that produces it"
        case .encode(let url, let why): return "\(url.path): could not encode the artifact (\(why))"
        case .write(let url, let why): return "\(url.path): could not write the artifact (\(why)); check free space and permissions"
        }
    }
}
