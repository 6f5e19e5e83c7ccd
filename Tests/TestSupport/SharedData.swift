import Foundation

/// Locates `../shared/data` (the read-only chapter 7 dataset and GPT-2 tokenizer files).
///
/// `.ci/run` sets `FINCH_SHARED_DATA`; otherwise the folder beside the package root is used. Tests that
/// need it call `SharedData.directory()`: when it is absent and `CI` is unset they skip with a printed
/// reason; under CI its absence is a failure, so a broken checkout can never pass by skipping.
public enum SharedData {
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    public static var candidate: URL {
        if let env = ProcessInfo.processInfo.environment["FINCH_SHARED_DATA"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    public static var isCI: Bool {
        let v = ProcessInfo.processInfo.environment["CI"] ?? ""
        return !v.isEmpty && v != "0" && v.lowercased() != "false"
    }

    /// True when the shared data folder exists. Under CI a missing folder is a fatal error instead.
    public static var available: Bool {
        let exists = FileManager.default.fileExists(atPath: candidate.appendingPathComponent("gpt2/encoder.json").path)
        if !exists {
            if isCI { fatalError("CI is set but \(candidate.path) has no gpt2/encoder.json: the shared data must be present in CI") }
            print("note: skipping tests that need \(candidate.path) (absent); set FINCH_SHARED_DATA to run them")
        }
        return exists
    }

    public static func url(_ relative: String) -> URL { candidate.appendingPathComponent(relative) }
}
