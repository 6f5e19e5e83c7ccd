import Foundation

/// The three file layouts of a GPT-2-style tokenizer.
public enum TokenizerFileFormat: String, CaseIterable, Sendable {
    /// OpenAI's `encoder.json` (token → id) + `vocab.bpe` (merges, `#version` header).
    case openAI
    /// Hugging Face's `vocab.json` + `merges.txt` (same contents under other names).
    case huggingFace
    /// Hugging Face's single `tokenizer.json` (`model.vocab`, `model.merges`, `added_tokens`).
    case tokenizerJSON

    /// File names of the layout, in the order the loader takes them.
    public var fileNames: [String] {
        switch self {
        case .openAI: return ["encoder.json", "vocab.bpe"]
        case .huggingFace: return ["vocab.json", "merges.txt"]
        case .tokenizerJSON: return ["tokenizer.json"]
        }
    }
}

extension BPETokenizer {
    /// Loads whichever layout `directory` holds: `tokenizer.json`, else `vocab.json` + `merges.txt`,
    /// else `encoder.json` + `vocab.bpe`.
    public static func load(directory: URL) throws -> BPETokenizer {
        let fm = FileManager.default
        for format in [TokenizerFileFormat.tokenizerJSON, .huggingFace, .openAI] {
            let urls = format.fileNames.map { directory.appendingPathComponent($0) }
            guard urls.allSatisfy({ fm.fileExists(atPath: $0.path) }) else { continue }
            switch format {
            case .tokenizerJSON: return try load(tokenizerJSON: urls[0])
            case .huggingFace, .openAI: return try load(vocabulary: urls[0], merges: urls[1])
            }
        }
        throw TokenizerError.noTokenizerFiles(directory: directory.path)
    }

    /// Loads OpenAI's `encoder.json` + `vocab.bpe`.
    public static func load(encoderJSON: URL, vocabBPE: URL) throws -> BPETokenizer {
        try load(vocabulary: encoderJSON, merges: vocabBPE)
    }

    /// Loads Hugging Face's `vocab.json` + `merges.txt`.
    public static func load(vocabJSON: URL, mergesTxt: URL) throws -> BPETokenizer {
        try load(vocabulary: vocabJSON, merges: mergesTxt)
    }

    /// Loads a Hugging Face `tokenizer.json` describing byte-level BPE (GPT-2's kind).
    public static func load(tokenizerJSON url: URL) throws -> BPETokenizer {
        let path = url.path
        let root = try JSONReader.parse(try readFileBytes(url), path: path)
        guard case .object = root.value else { throw wrongType(path, root, "the top level", "an object") }
        guard let model = root.value.member("model") else {
            throw TokenizerError.invalidJSON(path: path, line: root.line, column: root.column, reason: "no \"model\" member")
        }
        if let type = model.value.member("type"), case .string(let t) = type.value, t != Array("BPE".utf8) {
            throw TokenizerError.unsupportedTokenizer(path: path, reason: "model.type is \(quoted(String(decoding: t, as: UTF8.self))), not \"BPE\"")
        }
        try checkPreTokenizer(root.value.member("pre_tokenizer"), path: path)
        guard let vocabNode = model.value.member("vocab") else {
            throw TokenizerError.invalidJSON(path: path, line: model.line, column: model.column, reason: "no \"model.vocab\" member")
        }
        guard let mergesNode = model.value.member("merges") else {
            throw TokenizerError.invalidJSON(path: path, line: model.line, column: model.column, reason: "no \"model.merges\" member")
        }
        let vocab = try vocabEntries(vocabNode, path: path)
        guard case .array(let items) = mergesNode.value else { throw wrongType(path, mergesNode, "model.merges", "an array") }
        var merges = MergeList()
        merges.entries.reserveCapacity(items.count)
        for item in items {
            switch item.value {
            case .string(let s):  // older files: "a b"
                try appendMerge(line: s[...], to: &merges, path: path, lineNumber: item.line, column: item.column)
            case .array(let pair):  // newer files: ["a", "b"]
                guard pair.count == 2, case .string(let a) = pair[0].value, case .string(let b) = pair[1].value else {
                    throw TokenizerError.invalidJSON(path: path, line: item.line, column: item.column,
                                                     reason: "a merge must be \"a b\" or a pair [\"a\", \"b\"] of strings")
                }
                merges.append(left: a, right: b, line: item.line, column: item.column)
            default:
                throw wrongType(path, item, "a merge", "a string \"a b\" or a pair [\"a\", \"b\"]")
            }
        }
        var added: [AddedToken] = []
        if let addedNode = root.value.member("added_tokens") {
            guard case .array(let tokens) = addedNode.value else { throw wrongType(path, addedNode, "added_tokens", "an array") }
            for t in tokens {
                guard let idNode = t.value.member("id"), case .integer(let id) = idNode.value,
                      let contentNode = t.value.member("content"), case .string(let content) = contentNode.value,
                      let text = String(validating: content, as: UTF8.self) else {
                    throw TokenizerError.invalidJSON(path: path, line: t.line, column: t.column,
                                                     reason: "an added token needs an integer \"id\" and a string \"content\"")
                }
                added.append(AddedToken(content: text, id: id, line: t.line, column: t.column))
            }
        }
        return BPETokenizer(model: try BPEModel.build(vocab: vocab, vocabPath: path, merges: merges, mergesPath: path, added: added))
    }

    /// A token → id JSON file and a merges text file (OpenAI's or Hugging Face's names).
    public static func load(vocabulary: URL, merges: URL) throws -> BPETokenizer {
        let vocab = try JSONReader.parseVocabulary(try readFileBytes(vocabulary), path: vocabulary.path)
        let mergeEntries = try parseMerges(try readFileBytes(merges), path: merges.path)
        return BPETokenizer(model: try BPEModel.build(vocab: vocab, vocabPath: vocabulary.path,
                                                      merges: mergeEntries, mergesPath: merges.path))
    }

    static func vocabEntries(_ node: JSONNode, path: String) throws -> VocabList {
        guard case .object(let members) = node.value else { throw wrongType(path, node, "the vocabulary", "an object of token → id") }
        var out = VocabList()
        out.entries.reserveCapacity(members.count)
        for m in members {
            guard case .integer(let id) = m.node.value else {
                throw TokenizerError.invalidVocabularyEntry(path: path, line: m.line, column: m.column, token: String(decoding: m.key, as: UTF8.self),
                                                            reason: "the id must be an integer, not \(m.node.value.typeName)")
            }
            out.append(m.key, id: id, line: m.line, column: m.column)
        }
        return out
    }

    /// `vocab.bpe` / `merges.txt`: an optional `#version` first line, then one "left right" merge per line.
    static func parseMerges(_ bytes: [UInt8], path: String) throws -> MergeList {
        var out = MergeList()
        out.entries.reserveCapacity(bytes.count / 9)
        out.text.reserveCapacity(bytes.count)
        let version = Array("#version".utf8)
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            let line = bytes[start..<stop]
            start = end + 1
            if line.isEmpty || (lineNumber == 1 && line.starts(with: version)) { continue }
            try appendMerge(line: line, to: &out, path: path, lineNumber: lineNumber, column: 0)
        }
        return out
    }

    static func appendMerge(line: ArraySlice<UInt8>, to list: inout MergeList, path: String, lineNumber: Int, column: Int) throws {
        guard let space = line.firstIndex(of: 0x20), space > line.startIndex, space + 1 < line.endIndex,
              !line[(space + 1)...].contains(0x20) else {
            throw TokenizerError.invalidMerge(path: path, line: lineNumber, column: column, merge: String(decoding: line, as: UTF8.self),
                                              reason: "expected two tokens separated by one space")
        }
        list.append(left: line[..<space], right: line[(space + 1)...], line: lineNumber, column: column)
    }

    /// GPT-2's `tokenizer.json` has a `ByteLevel` pre-tokenizer without a prefix space; anything else
    /// would split text differently from tiktoken.
    static func checkPreTokenizer(_ node: JSONNode?, path: String) throws {
        guard let node, case .object = node.value else { return }
        guard let type = node.value.member("type"), case .string(let t) = type.value else { return }
        let name = String(decoding: t, as: UTF8.self)
        guard name == "ByteLevel" else {
            throw TokenizerError.unsupportedTokenizer(path: path, reason: "pre_tokenizer.type is \(quoted(name)), not \"ByteLevel\"")
        }
        if let prefix = node.value.member("add_prefix_space"), case .bool(true) = prefix.value {
            throw TokenizerError.unsupportedTokenizer(path: path, reason: "pre_tokenizer.add_prefix_space is true (GPT-2 uses false)")
        }
    }

    static func wrongType(_ path: String, _ node: JSONNode, _ what: String, _ expected: String) -> TokenizerError {
        .invalidJSON(path: path, line: node.line, column: node.column, reason: "\(what) must be \(expected), not \(node.value.typeName)")
    }
}
