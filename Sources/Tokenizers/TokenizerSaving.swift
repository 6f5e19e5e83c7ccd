import Foundation

extension BPETokenizer {
    /// Writes the tokenizer into `directory` (created if needed) in one of the layouts `load` reads.
    /// Files are written atomically. Special tokens go into the vocabulary (and, for `tokenizer.json`,
    /// into `added_tokens` as Hugging Face does).
    public func save(to directory: URL, format: TokenizerFileFormat = .openAI) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TokenizerError.writeFailed(path: directory.path, reason: error.localizedDescription)
        }
        let names = format.fileNames
        switch format {
        case .openAI, .huggingFace:
            try write(vocabularyJSON(literalSpecials: false), to: directory.appendingPathComponent(names[0]))
            try write(mergesText(), to: directory.appendingPathComponent(names[1]))
        case .tokenizerJSON:
            try write(tokenizerJSON(), to: directory.appendingPathComponent(names[0]))
        }
    }

    private func write(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw TokenizerError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }

    private func isSpecial(_ id: Int) -> Bool { model.specials.contains { $0.id == id } }

    /// `{"token": id, …}` in id order, one entry per line. Special tokens are byte-level text like the
    /// others unless `literalSpecials` (Hugging Face keeps them literal in `tokenizer.json`).
    func vocabularyJSON(literalSpecials: Bool) -> String {
        var out = "{\n"
        for id in 0..<model.vocabSize {
            let bytes = model.bytes(of: id)
            let text = literalSpecials && isSpecial(id) ? String(decoding: bytes, as: UTF8.self) : ByteLevel.encode(bytes)
            out += "  " + jsonString(text) + ": " + String(id) + (id + 1 < model.vocabSize ? ",\n" : "\n")
        }
        return out + "}\n"
    }

    func mergesText() -> String {
        var out = "#version: 0.2\n"
        for (a, b) in model.merges {
            out += ByteLevel.encode(model.bytes(of: Int(a))) + " " + ByteLevel.encode(model.bytes(of: Int(b))) + "\n"
        }
        return out
    }

    func tokenizerJSON() -> String {
        let added = model.specials.map { s in
            "    {\"id\": \(s.id), \"content\": \(jsonString(s.text)), \"single_word\": false, \"lstrip\": false, "
                + "\"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        let vocab = vocabularyJSON(literalSpecials: true).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        let merges = model.merges.map { (a, b) in
            "      " + jsonString(ByteLevel.encode(model.bytes(of: Int(a))) + " " + ByteLevel.encode(model.bytes(of: Int(b))))
        }
        return """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
            \(added.joined(separator: ",\n"))
              ],
              "normalizer": null,
              "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
              "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
              "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
              "model": {
                "type": "BPE",
                "dropout": null,
                "unk_token": null,
                "continuing_subword_prefix": "",
                "end_of_word_suffix": "",
                "fuse_unk": false,
                "byte_fallback": false,
                "vocab": \(vocab.drop(while: { $0 == " " })),
                "merges": [
            \(merges.joined(separator: ",\n"))
                ]
              }
            }

            """
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped, everything else as UTF-8.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
