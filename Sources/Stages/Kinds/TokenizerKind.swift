import Foundation
import Pipeline
import Tokenizers

/// `uses: tokenizer` — a GPT-2-style byte-level BPE tokenizer; the artifact holds `encoder.json` + `vocab.bpe`
/// (`BPETokenizer.load(directory:)` reads it).
///
/// - `kind: gpt2` (default): OpenAI's files from `vocab` (vocab.bpe) and `encoder` (encoder.json) sources,
///   pinned by `vocab_sha256` / `encoder_sha256`; or `dir`, a local folder in any layout the loader reads
///   (encoder.json + vocab.bpe, vocab.json + merges.txt, tokenizer.json).
/// - `kind: bpe`: trained on the texts of `data` (records: instruction, input and output; prompts: the full
///   prompt + response; splits: the train part only) up to `vocab_size` ids, merging pairs seen at least
///   `min_frequency` times (default 2).
public struct TokenizerKind: StageKind {
    public enum Kind: String, Codable, CaseIterable, Sendable, ConfigChoices {
        case gpt2, bpe
    }

    public struct Configuration: StageConfiguration {
        public var kind: Kind
        public var vocab: String?
        public var vocabSHA256: String?
        public var encoder: String?
        public var encoderSHA256: String?
        public var dir: String?
        public var data: StageRef?
        public var vocabSize: Int?
        public var minFrequency: Int

        enum CodingKeys: String, CodingKey {
            case kind, vocab, encoder, dir, data
            case vocabSHA256 = "vocab_sha256"
            case encoderSHA256 = "encoder_sha256"
            case vocabSize = "vocab_size"
            case minFrequency = "min_frequency"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = try c.value(.kind, default: .gpt2)
            vocab = try c.decodeIfPresent(String.self, forKey: .vocab)
            vocabSHA256 = try c.decodeIfPresent(String.self, forKey: .vocabSHA256)
            encoder = try c.decodeIfPresent(String.self, forKey: .encoder)
            encoderSHA256 = try c.decodeIfPresent(String.self, forKey: .encoderSHA256)
            dir = try c.decodeIfPresent(String.self, forKey: .dir)
            data = try c.decodeIfPresent(StageRef.self, forKey: .data)
            vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize)
            minFrequency = try c.value(.minFrequency, default: 2)
        }

        public var references: [StageReference] {
            data.map { [StageReference($0, accepts: ["records", "prompts", "splits"])] } ?? []
        }

        public func validate() -> [ConfigIssue] {
            var issues: [ConfigIssue] = []
            func unused(_ field: String, _ set: Bool) {
                if set { issues.append(ConfigIssue([field], "`\(field):` has no meaning for `kind: \(kind.rawValue)`; remove it")) }
            }
            switch kind {
            case .gpt2:
                unused("data", data != nil)
                unused("vocab_size", vocabSize != nil)
                if let dir {
                    for (f, set) in [("vocab", vocab != nil), ("encoder", encoder != nil)] where set {
                        issues.append(ConfigIssue([f], "give either `dir:` or `vocab:` + `encoder:`, not both"))
                    }
                    if dir.contains("://") { issues.append(ConfigIssue(["dir"], "`dir:` is a local folder; download remote files with `vocab:` and `encoder:`")) }
                } else if vocab == nil || encoder == nil {
                    issues.append(ConfigIssue([], "`kind: gpt2` needs `vocab:` (vocab.bpe) and `encoder:` (encoder.json) sources, or `dir:`"))
                }
                issues += SourceFetching.issues(source: vocab, field: "vocab") + SourceFetching.issues(source: encoder, field: "encoder")
                issues += SourceFetching.issues(sha256: vocabSHA256, field: "vocab_sha256")
                issues += SourceFetching.issues(sha256: encoderSHA256, field: "encoder_sha256")
            case .bpe:
                for (f, set) in [("vocab", vocab != nil), ("encoder", encoder != nil), ("dir", dir != nil),
                                 ("vocab_sha256", vocabSHA256 != nil), ("encoder_sha256", encoderSHA256 != nil)] {
                    unused(f, set)
                }
                if data == nil { issues.append(ConfigIssue([], "`kind: bpe` needs `data:` (the stage whose texts it is trained on)")) }
                if let v = vocabSize {
                    if v < 257 || v > 1 << 22 { issues.append(ConfigIssue(["vocab_size"], "`vocab_size: \(v)` must be between 257 (the 256 bytes and <|endoftext|>) and 4194304")) }
                } else {
                    issues.append(ConfigIssue([], "`kind: bpe` needs `vocab_size:` (bytes + merges + <|endoftext|>)"))
                }
                if minFrequency < 1 { issues.append(ConfigIssue(["min_frequency"], "`min_frequency` must be at least 1")) }
            }
            return issues
        }
    }

    public init() {}
    public var name: String { "tokenizer" }
    public var version: Int { 1 }
    public var produces: ArtifactType { "tokenizer" }
    public var summary: String { "GPT-2 BPE files, or a byte-level BPE trained on the data" }

    public func run(_ c: Configuration, context: StageContext) throws -> [String: JSONValue] {
        let out = context.outputDirectory
        let tokenizer: BPETokenizer
        switch c.kind {
        case .gpt2:
            if let dir = c.dir {
                tokenizer = try BPETokenizer.load(directory: context.resolve(path: dir))
                try tokenizer.save(to: out, format: .openAI)
            } else {
                let vocab = try SourceFetching.file(c.vocab!, sha256: c.vocabSHA256, context: context, note: "vocab.bpe")
                let encoder = try SourceFetching.file(c.encoder!, sha256: c.encoderSHA256, context: context, note: "encoder.json")
                tokenizer = try BPETokenizer.load(encoderJSON: encoder, vocabBPE: vocab)
                // The files as published, byte for byte (loading them above checked that they are a tokenizer).
                let fm = FileManager.default
                try fm.copyItem(at: encoder, to: out.appendingPathComponent("encoder.json"))
                try fm.copyItem(at: vocab, to: out.appendingPathComponent("vocab.bpe"))
            }
        case .bpe:
            let corpus = try Self.corpus(context.input(c.data!))
            context.log("training a \(c.vocabSize!)-id BPE on \(corpus.count) texts")
            tokenizer = try BPETrainer.train(corpus, vocabSize: c.vocabSize!, minFrequency: c.minFrequency)
            try tokenizer.save(to: out, format: .openAI)
        }
        return ["vocab_size": .number(Double(tokenizer.vocabSize)), "merges": .number(Double(tokenizer.mergeCount))]
    }

    /// Unpinned local `vocab:` / `encoder:` files, or the tokenizer files present in a `dir:` folder.
    public func localSources(_ c: Configuration, pipelineDirectory: URL) -> [LocalSource] {
        guard c.kind == .gpt2 else { return [] }
        if let dir = c.dir {
            // Every layout the loader may pick, so the key covers whichever one it reads.
            let names = TokenizerFileFormat.allCases.flatMap(\.fileNames)
            return [.folder(LocalSource.resolve(path: dir, relativeTo: pipelineDirectory), field: "dir", reads: names)]
        }
        return [SourceFetching.unpinnedLocal(c.vocab, sha256: c.vocabSHA256, field: "vocab", pipelineDirectory: pipelineDirectory),
                SourceFetching.unpinnedLocal(c.encoder, sha256: c.encoderSHA256, field: "encoder", pipelineDirectory: pipelineDirectory)]
            .compactMap { $0 }
    }

    /// Training texts of a records, prompts or splits artifact (told apart by their files).
    static func corpus(_ dir: URL) throws -> [String] {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir.appendingPathComponent(ArtifactFiles.records).path) {
            return try ArtifactFiles.readRecords(from: dir).flatMap { [$0.instruction, $0.input, $0.output].filter { !$0.isEmpty } }
        }
        if fm.fileExists(atPath: dir.appendingPathComponent(ArtifactFiles.prompts).path) {
            return try ArtifactFiles.readPrompts(from: dir).map(\.text)
        }
        // Only the train part, so that test texts do not shape the vocabulary.
        return try ArtifactFiles.readSplits(from: dir).train.map(\.text)
    }

    public func describe(artifact: URL) -> String? {
        (try? BPETokenizer.load(directory: artifact)).map { "\($0.vocabSize) ids, \($0.mergeCount) merges" }
    }
}
