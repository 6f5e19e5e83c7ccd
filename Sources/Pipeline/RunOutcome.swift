import Foundation

/// Exit codes and messages shared by `finch` and the test bed, so both behave the same.
public enum RunOutcome {
    public static let success: Int32 = 0
    public static let stageFailed: Int32 = 1
    public static let invalidInput: Int32 = 2
    public static let planHasWork: Int32 = 3
    public static let interrupted: Int32 = 130

    /// The exit code for an error thrown before or around a run.
    public static func exitCode(for error: Error) -> Int32 {
        switch error {
        case is SpecErrors: return invalidInput
        case PipelineError.cannotRead, PipelineError.unknownStage, PipelineError.notFound: return invalidInput
        default: return stageFailed
        }
    }

    public static func message(for error: Error) -> String {
        if let e = error as? SpecErrors { return e.errorDescription ?? "" }
        return "finch: error: " + ((error as? LocalizedError)?.errorDescription ?? "\(error)")
    }

    /// One closing line for a finished run, plus the failure cause when there is one.
    public static func summary(_ r: RunRecord) -> String {
        let count = { (s: String) in r.stages.values.filter { $0.status == s }.count }
        var text = "run \(r.id): \(count("ran")) ran, \(count("cached")) cached, \(count("skipped")) skipped in \(ConsoleProgress.duration(r.seconds))"
        if let (name, s) = r.stages.first(where: { $0.value.status == "failed" }) {
            text += r.status == "interrupted"
                ? "\nfinch: interrupted during stage '\(name)'; committed stages stay cached, rerun to continue"
                : "\nfinch: error: stage '\(name)' (uses: \(s.kind)) failed: \(s.error ?? "unknown error"); earlier stages stay cached"
        } else if r.status == "interrupted" {
            text += "\nfinch: interrupted; committed stages stay cached, rerun to continue"
        }
        return text
    }
}
