import Foundation

/// Configuration of the `fetch` stage.
public struct FetchConfig: Codable, Equatable, Sendable {
    /// `https://`, `file://` or `hf://owner/repo/path`; exactly one of `url` and `path` is required.
    public var url: String?
    /// A path relative to the pipeline file.
    public var path: String?
    /// Pins the file's content (64 hex digits); default none.
    public var sha256: String?
    /// `auto` (default: `[` starts a JSON array, anything else is JSONL), `json` or `jsonl`.
    public var format: Format
    /// Dataset key names for the record fields, when they differ; default the same names.
    public var fields: FieldMap
    /// Keep only the first `limit` records; default all.
    public var limit: Int?

    public enum Format: String, Codable, Sendable {
        case auto, json, jsonl
    }

    /// Which key of the dataset holds each record field, e.g. `{instruction: prompt, output: completion}`.
    public struct FieldMap: Codable, Equatable, Sendable {
        public var instruction: String
        public var input: String
        public var output: String

        public init(instruction: String = "instruction", input: String = "input", output: String = "output") {
            self.instruction = instruction
            self.input = input
            self.output = output
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            instruction = try c.decodeIfPresent(String.self, forKey: .instruction) ?? "instruction"
            input = try c.decodeIfPresent(String.self, forKey: .input) ?? "input"
            output = try c.decodeIfPresent(String.self, forKey: .output) ?? "output"
        }
    }

    public init(url: String? = nil, path: String? = nil, sha256: String? = nil, format: Format = .auto,
                fields: FieldMap = FieldMap(), limit: Int? = nil) {
        self.url = url
        self.path = path
        self.sha256 = sha256
        self.format = format
        self.fields = fields
        self.limit = limit
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        url = try c.decodeIfPresent(String.self, forKey: .url)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        sha256 = try c.decodeIfPresent(String.self, forKey: .sha256)
        format = try c.decodeIfPresent(Format.self, forKey: .format) ?? .auto
        fields = try c.decodeIfPresent(FieldMap.self, forKey: .fields) ?? FieldMap()
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
    }

    /// Static checks (no network): one source, a well-formed hash, a sensible limit.
    public func validate(relativeTo base: URL) throws {
        _ = try source(relativeTo: base)
        if let sha256 { _ = try Downloader.normalizedHash(sha256) }
        if let limit, limit < 0 { throw FetchError.badLimit(limit) }
    }

    public func source(relativeTo base: URL) throws -> SourceReference {
        switch (url, path) {
        case (nil, nil): throw SourceError.neitherURLNorPath
        case (.some, .some): throw SourceError.bothURLAndPath
        case (let u?, nil): return try SourceReference(u, relativeTo: base)
        case (nil, let p?):
            if p.contains("://") { throw SourceError.badURL(p + " (a `path:` is a file path; put URLs in `url:`)") }
            return try SourceReference(p, relativeTo: base)
        }
    }
}

public enum FetchError: LocalizedError, Equatable {
    case badLimit(Int)
    case notUTF8(String)
    case invalidJSON(String, String)
    case invalidJSONLine(String, line: Int, String)
    case notAnArray(String)
    case rowNotObject(String, row: Int, line: Int?)
    case missingField(String, row: Int, line: Int?, field: String, key: String)
    case notAString(String, row: Int, line: Int?, key: String, found: String)

    static func place(_ row: Int, _ line: Int?) -> String {
        line.map { "line \($0) (row \(row))" } ?? "row \(row)"
    }

    public var errorDescription: String? {
        switch self {
        case .badLimit(let n): return "fetch `limit: \(n)` must be zero or more"
        case .notUTF8(let s): return "\(s): the dataset is not UTF-8 text"
        case .invalidJSON(let s, let why): return "\(s): not valid JSON (\(why)); expected an array of objects or JSON Lines"
        case .invalidJSONLine(let s, let line, let why): return "\(s):\(line): not a valid JSON object (\(why))"
        case .notAnArray(let s): return "\(s): the top level must be a JSON array of objects (or use JSON Lines, one object per line)"
        case .rowNotObject(let s, let row, let line): return "\(s): \(Self.place(row, line)) is not a JSON object"
        case .missingField(let s, let row, let line, let field, let key):
            let map = field == key ? "; if the dataset names it differently, map it with `fields: {\(field): <key>}`" : " (mapped by `fields.\(field)`)"
            return "\(s): \(Self.place(row, line)) has no \"\(key)\"\(map)"
        case .notAString(let s, let row, let line, let key, let found):
            return "\(s): \(Self.place(row, line)): \"\(key)\" must be a string, found \(found)"
        }
    }
}

/// Parses datasets into records (rows are numbered from 0, lines from 1).
public enum DatasetParser {
    public static func parse(_ data: Data, source: String, format: FetchConfig.Format = .auto,
                             fields: FetchConfig.FieldMap = .init(), limit: Int? = nil) throws -> [InstructionRecord] {
        guard let text = String(data: data, encoding: .utf8) else { throw FetchError.notUTF8(source) }
        var fmt = format
        if fmt == .auto {
            fmt = text.first(where: { !$0.isWhitespace && $0 != "\u{FEFF}" }) == "[" ? .json : .jsonl
        }
        var records: [InstructionRecord] = []
        let cap = limit ?? Int.max
        if fmt == .json {
            let value: Any
            do { value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
                throw FetchError.invalidJSON(source, jsonReason(error))
            }
            guard let rows = value as? [Any] else { throw FetchError.notAnArray(source) }
            for (i, row) in rows.prefix(cap).enumerated() {
                records.append(try record(row, source: source, row: i, line: nil, fields: fields))
            }
        } else {
            var row = 0
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if row >= cap { break }
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty { continue }
                let value: Any
                do { value = try JSONSerialization.jsonObject(with: Data(trimmed.utf8), options: [.fragmentsAllowed]) } catch {
                    throw FetchError.invalidJSONLine(source, line: n + 1, jsonReason(error))
                }
                records.append(try record(value, source: source, row: row, line: n + 1, fields: fields))
                row += 1
            }
        }
        return records
    }

    static func record(_ value: Any, source: String, row: Int, line: Int?, fields: FetchConfig.FieldMap) throws -> InstructionRecord {
        guard let object = value as? [String: Any] else { throw FetchError.rowNotObject(source, row: row, line: line) }
        func field(_ name: String, _ key: String, required: Bool) throws -> String {
            guard let v = object[key], !(v is NSNull) else {
                if required { throw FetchError.missingField(source, row: row, line: line, field: name, key: key) }
                return ""
            }
            guard let s = v as? String else {
                throw FetchError.notAString(source, row: row, line: line, key: key, found: typeName(v))
            }
            return s
        }
        return InstructionRecord(instruction: try field("instruction", fields.instruction, required: true),
                                 input: try field("input", fields.input, required: false),
                                 output: try field("output", fields.output, required: true))
    }

    static func typeName(_ v: Any) -> String {
        switch v {
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case let n as NSNumber:
            // JSONSerialization reports booleans as NSNumber; their Objective-C type is "c" (char).
            return String(cString: n.objCType) == "c" ? "a boolean (\(n.boolValue))" : "a number (\(n))"
        default: return "\(type(of: v))"
        }
    }

    static func jsonReason(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}

/// The `fetch` stage's work: resolve the source (downloading into the cache), parse, write `records.json`.
public enum FetchStage {
    @discardableResult
    public static func run(_ config: FetchConfig, pipelineDirectory: URL, downloader: Downloader,
                           outputDirectory: URL, progress: Downloader.Progress? = nil) async throws -> [InstructionRecord] {
        try config.validate(relativeTo: pipelineDirectory)
        let source = try config.source(relativeTo: pipelineDirectory)
        let file = try await downloader.fetch(source, sha256: config.sha256, progress: progress)
        let data: Data
        do { data = try Data(contentsOf: file) } catch { throw DownloadError.localFileMissing(file) }
        let records = try DatasetParser.parse(data, source: source.description, format: config.format,
                                              fields: config.fields, limit: config.limit)
        try ArtifactFiles.writeRecords(records, to: outputDirectory)
        return records
    }
}
