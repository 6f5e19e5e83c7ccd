import Foundation

public enum GPTError: LocalizedError, Equatable {
    case unknownPreset(String)
    case invalidConfig(String)
    case missingTensor(name: String, file: String)
    case shapeMismatch(name: String, expected: [Int], found: [Int], file: String)
    case unexpectedTensor(name: String, file: String)
    case layerCountMismatch(file: String, tensor: String, requested: Int)
    case badCheckpointConfig(file: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .unknownPreset(let n):
            return "unknown model size '\(n)'; use one of \(GPTConfig.presets.keys.sorted().joined(separator: ", ")) or a mapping {layers, heads, dim, context}"
        case .invalidConfig(let why):
            return "invalid model configuration: \(why)"
        case .missingTensor(let name, let file):
            return "\(file): tensor '\(name)' is missing; is this a GPT-2 checkpoint in Hugging Face's GPT2LMHeadModel layout?"
        case .shapeMismatch(let name, let expected, let found, let file):
            return "\(file): tensor '\(name)' has shape \(found) but the requested model needs \(expected); check `size:` against the checkpoint"
        case .unexpectedTensor(let name, let file):
            return "\(file): unexpected tensor '\(name)' (not part of GPT2LMHeadModel); the file may be another architecture"
        case .layerCountMismatch(let file, let tensor, let requested):
            return "\(file): tensor '\(tensor)' belongs to a deeper model than the requested \(requested) layers; check `size:` against the checkpoint"
        case .badCheckpointConfig(let file, let reason):
            return "\(file): \(reason)"
        }
    }
}
