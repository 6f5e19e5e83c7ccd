import Foundation

/// Where a file comes from: a local path, or a URL to download. Parsed from a pipeline's `url:`/`path:`
/// strings (`https://`, `http://`, `file://`, `hf://owner/repo[/file]`, or a path relative to the
/// pipeline file).
public enum SourceReference: Equatable, Sendable, CustomStringConvertible {
    case local(URL)
    case remote(URL)
    /// A Hugging Face Hub repository (`hf://owner/repo`, optionally `@revision`; a dataset repository's
    /// owner is `datasets/owner`); `file(_:)` names one file in it.
    case huggingFaceRepo(owner: String, repo: String, revision: String)

    /// Parses `text`; relative paths resolve against `baseDirectory` (the pipeline file's folder).
    public init(_ text: String, relativeTo baseDirectory: URL) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw SourceError.emptySource }
        if trimmed.hasPrefix("hf://") {
            let rest = String(trimmed.dropFirst(5))
            var parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            // Dataset repositories live under /datasets on the Hub: hf://datasets/owner/repo/file.
            var area = ""
            if parts.first == "datasets" {
                guard parts.count >= 3 else { throw SourceError.badHuggingFace(text) }
                area = "datasets/"
                parts.removeFirst()
            }
            guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw SourceError.badHuggingFace(text) }
            let owner = area + parts.removeFirst()
            var repo = parts.removeFirst()
            var revision = "main"
            if let at = repo.firstIndex(of: "@") {
                revision = String(repo[repo.index(after: at)...])
                repo = String(repo[..<at])
                guard !revision.isEmpty, !repo.isEmpty else { throw SourceError.badHuggingFace(text) }
            }
            let repoRef = SourceReference.huggingFaceRepo(owner: owner, repo: repo, revision: revision)
            if parts.isEmpty || parts == [""] {
                self = repoRef
            } else {
                guard !parts.contains(""), !parts.contains(".."), !parts.contains(".") else { throw SourceError.badHuggingFace(text) }
                self = try repoRef.file(parts.joined(separator: "/"))
            }
            return
        }
        if let scheme = trimmed.range(of: "://").map({ trimmed[..<$0.lowerBound].lowercased() }) {
            guard let url = URL(string: trimmed), url.host != nil || scheme == "file" else { throw SourceError.badURL(text) }
            switch scheme {
            case "https", "http": self = .remote(url)
            case "file": self = .local(URL(fileURLWithPath: url.path))
            default: throw SourceError.unsupportedScheme(text, scheme)
            }
            return
        }
        let path = (trimmed as NSString).expandingTildeInPath
        self = .local(path.hasPrefix("/") ? URL(fileURLWithPath: path) : baseDirectory.appendingPathComponent(path).standardizedFileURL)
    }

    /// The download URL of `path` inside a Hugging Face repository: `…/owner/repo/resolve/revision/path`.
    public func file(_ path: String) throws -> SourceReference {
        guard case .huggingFaceRepo(let owner, let repo, let revision) = self else { throw SourceError.notARepository(description) }
        let escaped = path.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }
        guard let url = URL(string: "https://huggingface.co/\(owner)/\(repo)/resolve/\(revision)/\(escaped.joined(separator: "/"))") else {
            throw SourceError.badHuggingFace("hf://\(owner)/\(repo)/\(path)")
        }
        return .remote(url)
    }

    public var description: String {
        switch self {
        case .local(let url): return url.path
        case .remote(let url): return url.absoluteString
        case .huggingFaceRepo(let owner, let repo, let revision):
            return "hf://\(owner)/\(repo)" + (revision == "main" ? "" : "@\(revision)")
        }
    }
}

public enum SourceError: LocalizedError, Equatable {
    case emptySource
    case badURL(String)
    case unsupportedScheme(String, String)
    case badHuggingFace(String)
    case notARepository(String)
    case neitherURLNorPath
    case bothURLAndPath

    public var errorDescription: String? {
        switch self {
        case .emptySource: return "empty source: give a URL (https://, file://, hf://owner/repo/file) or a path"
        case .badURL(let s): return "'\(s)' is not a valid URL"
        case .unsupportedScheme(let s, let scheme):
            return "'\(s)': scheme '\(scheme)://' is not supported; use https://, http://, file://, hf:// or a path relative to the pipeline file"
        case .badHuggingFace(let s): return "'\(s)': expected hf://owner/repo, hf://owner/repo/path/to/file, hf://owner/repo@revision/file or hf://datasets/owner/repo/file"
        case .notARepository(let s): return "'\(s)' is not a Hugging Face repository (hf://owner/repo)"
        case .neitherURLNorPath: return "give either `url:` (https://, file://, hf://) or `path:` (relative to the pipeline file)"
        case .bothURLAndPath: return "give `url:` or `path:`, not both"
        }
    }
}
