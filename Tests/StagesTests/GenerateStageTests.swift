import Foundation
import GPT
import Pipeline
import Stages
import Testing
import Tokenizers

@Suite(.serialized) struct GenerateStageTests {
    /// What chapter 7's loop produces for one entry: greedy generation of that prompt alone, then
    /// `generated_text[len(input_text):].replace("### Response:", "").strip()`.
    func chapter7Response(_ record: PromptRecord, model: GPTModel, tokenizer: BPETokenizer, maxNewTokens: Int) -> String {
        let ids = tokenizer.encode(record.prompt)
        let new = model.generate([ids], options: GenerationOptions(maxNewTokens: maxNewTokens, stopToken: tokenizer.eotId))[0]
        return extractResponse(generated: tokenizer.decode(ids + new), prompt: record.prompt)
    }

    @Test func answersTheTestSplitInChapter7sShape() throws {
        let bed = try MLTestbed()
        defer { bed.dir.remove() }
        let file = try bed.pipeline("""
          answers: {uses: generate, model: base, data: splits, tokenizer: tok, max_new_tokens: 6, batch_size: 3}
        """)
        let record = try bed.run(file, cache: "c")
        #expect(record.exitStatus == 0, "\(record.stages["answers"]?.error ?? "")")
        let out = bed.artifact(record, "answers", cache: "c")
        let responses = try ArtifactFiles.readResponses(from: out)
        #expect(responses.count == bed.splits.test.count)
        #expect(responses.map(\.record) == bed.splits.test.map(\.record))

        // Batched generation gives what one-at-a-time generation gives, extracted as the chapter does.
        let model = GPTModel(weights: try Checkpoint.load(from: bed.dir.file("model")))
        let expected = bed.splits.test.map { chapter7Response($0, model: model, tokenizer: bed.tokenizer, maxNewTokens: 6) }
        #expect(responses.map(\.modelResponse) == expected)
        #expect(expected.contains { !$0.isEmpty })

        // The file uses the chapter's key names.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("responses.json"))) as? [[String: Any]])
        #expect(Set(json[0].keys) == ["instruction", "input", "output", "model_response"])
        #expect(record.stages["answers"]?.metrics["items"] == .number(Double(bed.splits.test.count)))
    }

    @Test func splitAndLimitPickTheItems() throws {
        let bed = try MLTestbed()
        defer { bed.dir.remove() }
        let file = try bed.pipeline("""
          answers: {uses: generate, model: base, data: splits, tokenizer: tok, split: validation, limit: 2, max_new_tokens: 2}
        """)
        let record = try bed.run(file, cache: "c")
        let responses = try ArtifactFiles.readResponses(from: bed.artifact(record, "answers", cache: "c"))
        #expect(responses.map(\.record) == bed.splits.validation.prefix(2).map(\.record))
    }

    /// Sampling with a per-item stream: an interrupted run resumes from its journal and produces exactly the
    /// uninterrupted run's responses, generating only the missing items.
    @Test func interruptedRunResumesFromTheJournal() throws {
        let bed = try MLTestbed()
        defer { bed.dir.remove() }
        let file = try bed.pipeline("""
          answers: {uses: generate, model: base, data: splits, tokenizer: tok, split: train, limit: 7, max_new_tokens: 5, temperature: 1.0, top_k: 20, batch_size: 3}
        """)
        let reference = try bed.run(file, cache: "a")
        let expected = try ArtifactFiles.readResponses(from: bed.artifact(reference, "answers", cache: "a"))
        #expect(expected.count == 7)

        let cancel = CancellationFlag()
        let observer = TestObserver()
        observer.onProgress = { name, p in if name == "answers" && p.step == 3 { cancel.cancel() } }
        let stopped = try bed.run(file, cache: "b", observer: observer, cancel: cancel)
        #expect(stopped.exitStatus == 130)
        let resumed = try bed.run(file, cache: "b")
        #expect(resumed.exitStatus == 0)
        #expect(resumed.stages["answers"]?.metrics["resumed"] == .number(3))
        #expect(try ArtifactFiles.readResponses(from: bed.artifact(resumed, "answers", cache: "b")) == expected)
    }

    @Test func responseMarkerComesFromTheTemplate() {
        let record = InstructionRecord(instruction: "Name a color.", output: "blue")
        let alpaca = PromptTemplate.alpaca.render(record)
        #expect(GenerateStage.responseText(generated: alpaca.prompt + "\n\n### Response:\nred  ", record: alpaca) == "red")
        let phi3 = PromptTemplate.phi3.render(record)
        #expect(GenerateStage.responseText(generated: phi3.prompt + "\n<|assistant|>:\ngreen\n", record: phi3) == "green")
    }
}
