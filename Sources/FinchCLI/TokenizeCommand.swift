import ArgumentParser
import Foundation
import Tokenizers

/// `finch tokenize`: GPT-2 BPE ids of stdin, as JSON.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of stdin as a JSON array (or one array per JSONL line).",
        discussion: """
            Give the tokenizer as --vocab (vocab.bpe or merges.txt) plus --encoder (encoder.json or vocab.json), \
            or as --tokenizer DIR holding tokenizer.json, vocab.json + merges.txt, or encoder.json + vocab.bpe.
            """)

    @Option(help: "Merges file: OpenAI's vocab.bpe or Hugging Face's merges.txt.")
    var vocab: String?

    @Option(help: "Token → id file: OpenAI's encoder.json or Hugging Face's vocab.json.")
    var encoder: String?

    @Option(help: "Directory holding any of the supported tokenizer layouts.")
    var tokenizer: String?

    @Flag(help: "Each stdin line is a JSON string; print one JSON array of ids per line.")
    var jsonl = false

    @Flag(help: "Encode special-token text such as <|endoftext|> as its id (50256) instead of as plain text.")
    var allowSpecial = false

    func validate() throws {
        if tokenizer != nil && (vocab != nil || encoder != nil) {
            throw ValidationError("give either --tokenizer DIR or --vocab PATH --encoder PATH, not both")
        }
        if tokenizer == nil && (vocab == nil || encoder == nil) {
            throw ValidationError("give --vocab PATH and --encoder PATH (or --tokenizer DIR)")
        }
    }

    func run() throws {
        do {
            let tok: BPETokenizer
            if let dir = tokenizer {
                tok = try BPETokenizer.load(directory: URL(fileURLWithPath: dir))
            } else {
                tok = try BPETokenizer.load(vocabulary: URL(fileURLWithPath: encoder!), merges: URL(fileURLWithPath: vocab!))
            }
            let allowed: Set<String> = allowSpecial ? tok.allSpecialTokens : []
            let input = FileHandle.standardInput.readDataToEndOfFile()
            var out = TokenizeOutput()
            defer { out.flush() }  // lines before a bad one are still printed
            if jsonl {
                var lineNumber = 0
                var lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                if lines.last?.isEmpty == true { lines.removeLast() }
                for line in lines {
                    lineNumber += 1
                    guard let text = try? JSONDecoder().decode(String.self, from: Data(line)) else {
                        throw TokenizeInputError.notAJSONString(line: lineNumber)
                    }
                    out.writeArray(tok.encodeIds(text, allowedSpecial: allowed))
                }
            } else {
                guard let text = String(data: input, encoding: .utf8) else { throw TokenizeInputError.invalidUTF8 }
                out.writeArray(tok.encodeIds(text, allowedSpecial: allowed))
            }
        } catch let error as LocalizedError {
            FileHandle.standardError.write(Data(((error.errorDescription ?? "\(error)") + "\n").utf8))
            throw ExitCode(2)
        }
    }
}

enum TokenizeInputError: LocalizedError {
    case notAJSONString(line: Int)
    case invalidUTF8

    var errorDescription: String? {
        switch self {
        case .notAJSONString(let line):
            return "<stdin>:\(line): error: with --jsonl every line must be a JSON string such as \"Hello\\n\""
        case .invalidUTF8:
            return "<stdin>: error: input is not valid UTF-8"
        }
    }
}

/// Buffered stdout writer for id arrays (outputs can be millions of ids).
struct TokenizeOutput {
    private var buffer: [UInt8] = []

    mutating func writeArray(_ ids: [UInt32]) {
        buffer.append(UInt8(ascii: "["))
        for (k, id) in ids.enumerated() {
            if k > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(contentsOf: String(id).utf8)
        }
        buffer.append(contentsOf: "]\n".utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
