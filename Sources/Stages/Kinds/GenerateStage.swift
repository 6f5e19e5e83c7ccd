import Foundation
import GPT
import Pipeline
import Tokenizers

public enum GenerateError: LocalizedError, Equatable {
    case vocabularyTooLarge(tokenizer: Int, model: Int)
    case emptyPrompt(index: Int)
    case journal(URL, String)

    public var errorDescription: String? {
        switch self {
        case .vocabularyTooLarge(let t, let m):
            return "the tokenizer has \(t) ids but the model's embedding has only \(m) rows; use the tokenizer the model was trained with"
        case .emptyPrompt(let i): return "item \(i) of the split has an empty prompt; check the template stage"
        case .journal(let url, let why): return "\(url.path): cannot use the generation journal (\(why)); check free space and permissions"
        }
    }
}

/// `uses: generate` — answers the prompts of one split, batched, and writes `responses.json` in the shape of
/// chapter 7's `instruction-data-with-response.json` (instruction, input, output, model_response).
///
/// The response is extracted as chapter 7 does: decode prompt + new tokens, drop the prompt's characters,
/// remove the template's response marker (`### Response:` for Alpaca), strip. A journal in the work
/// directory keeps finished items, so a killed run generates only what is missing.
public struct GenerateStage: StageKind {
    public typealias Configuration = GenerateConfig

    public init() {}

    public var name: String { "generate" }
    // 2: per-token steps run on DecodeWeights (another summation order than version 1's oneDNN path).
    public var version: Int { 2 }
    public var produces: ArtifactType { "responses" }
    public var summary: String { "generates responses to a split's prompts" }

    public func describe(artifact: URL) -> String? {
        guard let r = try? ArtifactFiles.readResponses(from: artifact) else { return nil }
        return "\(r.count) responses"
    }

    public func run(_ c: GenerateConfig, context: StageContext) throws -> [String: JSONValue] {
        let started = Date()
        let tokenizer = try BPETokenizer.load(directory: context.input(c.tokenizer))
        let weights = try Checkpoint.load(from: context.input(c.model))
        guard tokenizer.vocabSize <= weights.config.vocab else {
            throw GenerateError.vocabularyTooLarge(tokenizer: tokenizer.vocabSize, model: weights.config.vocab)
        }
        let model = GPTModel(weights: weights)
        var items = try ArtifactFiles.readSplits(from: context.input(c.data))[c.split.part]
        if let limit = c.limit { items = Array(items.prefix(limit)) }
        let options = c.options(stopToken: tokenizer.eotId)
        let journal = try GenerationJournal(directory: context.workDirectory)

        var responses: [String?] = items.enumerated().map { journal.lookup(index: $0.offset, prompt: $0.element.prompt) }
        let resumed = responses.compactMap { $0 }.count
        var generatedTokens = 0
        context.progress(resumed, of: items.count, unit: "item")
        let pending = items.indices.filter { responses[$0] == nil }
        // One decode snapshot for every call, built only when something is left to generate.
        let decode = pending.isEmpty ? nil : DecodeWeights(model: model, precision: options.precision)
        for start in stride(from: 0, to: pending.count, by: c.batchSize) {
            try context.checkCancellation()
            let batch = Array(pending[start..<min(start + c.batchSize, pending.count)])
            let prompts = try batch.map { i -> [Int] in
                let ids = tokenizer.encode(items[i].prompt)
                guard !ids.isEmpty else { throw GenerateError.emptyPrompt(index: i) }
                return ids
            }
            var finished: [(index: Int, prompt: String, response: String)] = []
            // Item i samples from stream i: generate each run of consecutive items with its first index.
            var run = 0
            while run < batch.count {
                var end = run + 1
                while end < batch.count && batch[end] == batch[end - 1] + 1 { end += 1 }
                let outputs = model.generate(Array(prompts[run..<end]), options: options, firstIndex: batch[run],
                                             decodeWeights: decode)
                for (k, new) in outputs.enumerated() {
                    let i = batch[run + k]
                    generatedTokens += new.count
                    let text = tokenizer.decode(prompts[run + k] + new)
                    let response = Self.responseText(generated: text, record: items[i])
                    responses[i] = response
                    finished.append((i, items[i].prompt, response))
                }
                run = end
            }
            try journal.record(finished)
            context.progress(items.count - pending.count + start + batch.count, of: items.count, unit: "item")
        }

        let records = zip(items, responses).map { ResponseRecord(record: $0.record, modelResponse: $1 ?? "") }
        try ArtifactFiles.writeResponses(records, to: context.outputDirectory)
        let seconds = Date().timeIntervalSince(started)
        return [
            "items": .number(Double(items.count)),
            "resumed": .number(Double(resumed)),
            "generated_tokens": .number(Double(generatedTokens)),
            "seconds": .number(seconds),
            "tokens_per_s": .number(seconds > 0 ? Double(generatedTokens) / seconds : 0),
        ]
    }

    /// Chapter 7's `generated_text[len(input_text):].replace("### Response:", "").strip()`, with the marker taken
    /// from the record's template: the response part before the output (`### Response:` for Alpaca,
    /// `<|assistant|>:` for Phi-3); chapter 7's marker when the template does not end with the output.
    public static func responseText(generated: String, record: PromptRecord) -> String {
        var marker = "### Response:"
        if !record.output.isEmpty, record.response.hasSuffix(record.output) {
            let before = pythonStrip(String(record.response.dropLast(record.output.count)))
            if !before.isEmpty { marker = before }
        }
        if marker == "### Response:" { return extractResponse(generated: generated, prompt: record.prompt) }
        let scalars = generated.unicodeScalars
        let cut = scalars.index(scalars.startIndex, offsetBy: record.prompt.unicodeScalars.count, limitedBy: scalars.endIndex) ?? scalars.endIndex
        let rest = String(String.UnicodeScalarView(scalars[cut...]))
        return pythonStrip(rest.replacingOccurrences(of: marker, with: ""))
    }
}
