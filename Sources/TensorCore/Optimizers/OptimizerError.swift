import Foundation

/// Invalid optimizer or schedule settings, or an optimizer state file that does not fit the model.
public enum OptimizerError: LocalizedError, Equatable {
    case invalidSetting(name: String, value: String, expected: String)
    case stateKindMismatch(file: String, found: String, expected: String)
    case stateUnknownParameter(file: String, name: String)
    case stateShapeMismatch(file: String, name: String, found: [Int], expected: [Int])
    case stateMissingEntry(file: String, entry: String)
    case stateInvalidEntry(file: String, entry: String, value: String)

    public var errorDescription: String? {
        switch self {
        case let .invalidSetting(name, value, expected):
            return "optimizer setting '\(name)' is \(value), but it must be \(expected)"
        case let .stateKindMismatch(file, found, expected):
            return "\(file): optimizer state was saved by '\(found)' but is being loaded into '\(expected)'; "
                + "resume with the optimizer kind the run started with, or start from fresh optimizer state"
        case let .stateUnknownParameter(file, name):
            return "\(file): optimizer state has an entry for parameter '\(name)', which this model does not have; "
                + "the state belongs to a different model"
        case let .stateShapeMismatch(file, name, found, expected):
            return "\(file): optimizer state for '\(name)' has shape \(found) but the parameter has shape \(expected); "
                + "the state belongs to a different model size"
        case let .stateMissingEntry(file, entry):
            return "\(file): optimizer state lacks '\(entry)'; the file is incomplete or was not written by Finch"
        case let .stateInvalidEntry(file, entry, value):
            return "\(file): optimizer state entry '\(entry)' has the invalid value '\(value)'"
        }
    }
}
