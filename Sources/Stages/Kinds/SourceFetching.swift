import Foundation
import Pipeline

/// Sources (`url:`, `weights:`, `vocab:`, …) for the stage kinds: checked when the pipeline is
/// validated (syntax only, no network), resolved to local files when the stage runs.
enum SourceFetching {
    /// Any base works for syntax checks; relative paths are resolved for real when the stage runs.
    static let validationBase = URL(fileURLWithPath: "/")

    static func issues(source text: String?, field: String, required: Bool = false) -> [ConfigIssue] {
        guard let text else { return required ? [ConfigIssue([], "missing required field '\(field)'")] : [] }
        do {
            _ = try SourceReference(text, relativeTo: validationBase)
            return []
        } catch {
            return [ConfigIssue([field], "\(field): \(message(error))")]
        }
    }

    static func issues(sha256 text: String?, field: String) -> [ConfigIssue] {
        guard let text else { return [] }
        do {
            _ = try Downloader.normalizedHash(text)
            return []
        } catch {
            return [ConfigIssue([field], message(error))]
        }
    }

    /// The local file `text` names when `sha256` does not pin it: its content then belongs in the cache key.
    /// Remote sources (https://, hf://) and pinned ones give nil.
    static func unpinnedLocal(_ text: String?, sha256: String?, field: String, pipelineDirectory: URL) -> LocalSource? {
        guard let text, sha256 == nil, case .local(let url)? = try? SourceReference(text, relativeTo: pipelineDirectory) else { return nil }
        return .file(url, field: field)
    }

    static func message(_ error: Error) -> String {
        (error as? LocalizedError)?.errorDescription ?? "\(error)"
    }

    /// A local file with the source's content: local paths are checked (and hashed when pinned),
    /// remote ones downloaded into `<cache>/downloads` with progress, verified, and reused while pinned.
    static func file(_ source: SourceReference, sha256: String?, context: StageContext, note: String) throws -> URL {
        let downloader = Downloader(cacheDirectory: context.cacheDirectory)
        if case .remote(let url) = source { context.log("fetching \(url.absoluteString)") }
        return try AsyncBridge.run(context) {
            try await downloader.fetch(source, sha256: sha256) { bytes, total in
                // Progress in KiB: totals of multi-GB weights stay well inside Int and read better.
                context.progress(Int(bytes / 1024), of: Int((total ?? 0) / 1024), unit: "KiB", note: note)
            }
        }
    }

    static func file(_ text: String, sha256: String?, context: StageContext, note: String) throws -> URL {
        try file(try SourceReference(text, relativeTo: context.pipelineDirectory), sha256: sha256, context: context, note: note)
    }
}

// Choices listed in validation errors.
extension FetchConfig.Format: ConfigChoices {
    public static var choices: [String] { ["auto", "json", "jsonl"] }
}
extension TemplateConfig.Style: ConfigChoices {}
extension SyntheticTask: ConfigChoices {}
extension JudgeConfig.Kind: ConfigChoices {}
