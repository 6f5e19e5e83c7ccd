import Foundation

/// Everything that can go wrong while loading, saving or training a tokenizer.
///
/// Each case carries the file and, where it applies, the 1-based line (and column) of the problem, so a
/// corrupt or mismatched vocabulary can be fixed without guessing.
public enum TokenizerError: LocalizedError, Equatable {
    /// A file that should exist could not be read.
    case missingFile(path: String)
    /// A directory holds none of the three known layouts.
    case noTokenizerFiles(directory: String)
    /// The file is not valid JSON (or not the JSON shape expected).
    case invalidJSON(path: String, line: Int, column: Int, reason: String)
    /// The file is not valid UTF-8.
    case invalidUTF8(path: String, line: Int)
    /// A vocabulary entry is unusable (bad id, duplicate id, character outside the byte-level alphabet…).
    /// `column` is 0 when only the line is meaningful.
    case invalidVocabularyEntry(path: String, line: Int, column: Int, token: String, reason: String)
    /// A merges line is malformed or refers to tokens the vocabulary does not hold.
    case invalidMerge(path: String, line: Int, column: Int, merge: String, reason: String)
    /// The vocabulary as a whole is inconsistent (missing byte tokens, no `<|endoftext|>`, gaps in ids…).
    case inconsistentVocabulary(path: String, reason: String)
    /// `tokenizer.json` describes a tokenizer that is not GPT-2-style byte-level BPE.
    case unsupportedTokenizer(path: String, reason: String)
    /// Training parameters that cannot work.
    case invalidTrainingParameters(reason: String)
    /// Writing a file failed.
    case writeFailed(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .missingFile(let path):
            return "\(path): error: file not found or unreadable; check the path (GPT-2 needs encoder.json + vocab.bpe, "
                + "or vocab.json + merges.txt, or tokenizer.json)"
        case .noTokenizerFiles(let dir):
            return "\(dir): error: no tokenizer files in this directory; expected tokenizer.json, or vocab.json + merges.txt, "
                + "or encoder.json + vocab.bpe"
        case .invalidJSON(let path, let line, let column, let reason):
            return "\(path):\(line):\(column): error: \(reason)"
        case .invalidUTF8(let path, let line):
            return "\(path):\(line): error: the file is not valid UTF-8; re-save it as UTF-8"
        case .invalidVocabularyEntry(let path, let line, let column, let token, let reason):
            return "\(location(path, line, column)): error: vocabulary entry \(quoted(token)): \(reason)"
        case .invalidMerge(let path, let line, let column, let merge, let reason):
            return "\(location(path, line, column)): error: merge \(quoted(merge)): \(reason)"
        case .inconsistentVocabulary(let path, let reason):
            return "\(path): error: \(reason)"
        case .unsupportedTokenizer(let path, let reason):
            return "\(path): error: \(reason); only GPT-2-style byte-level BPE tokenizers are supported"
        case .invalidTrainingParameters(let reason):
            return "error: BPE training: \(reason)"
        case .writeFailed(let path, let reason):
            return "\(path): error: could not write: \(reason)"
        }
    }
}

func location(_ path: String, _ line: Int, _ column: Int) -> String {
    column > 0 ? "\(path):\(line):\(column)" : "\(path):\(line)"
}

/// Shows a token with its invisible characters spelled out, shortened when long.
func quoted(_ s: String) -> String {
    var out = "\""
    for (n, u) in s.unicodeScalars.enumerated() {
        if n == 80 { out += "…"; break }
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 || u.value == 0x7F { out += String(format: "\\u{%X}", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}
