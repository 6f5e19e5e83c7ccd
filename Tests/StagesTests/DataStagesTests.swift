import Foundation
import Testing
import TestSupport
@testable import Stages

/// Template, split and artifact round trips on chapter 7's real data.
@Suite struct DataStagesTests {
    static func chapter7() throws -> [InstructionRecord]? {
        guard SharedData.available else { return nil }
        return try DatasetParser.parse(Data(contentsOf: SharedData.url("instruction/instruction-data.json")), source: "instruction-data.json")
    }

    @Test func alpacaMatchesChapter7WorkedExamples() throws {
        guard let data = try Self.chapter7() else { return }
        #expect(data.count == 1100)
        let withInput = PromptTemplate.alpaca.render(data[50])
        #expect(withInput.prompt == "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nIdentify the correct spelling of the following word.\n\n### Input:\nOcassion")
        #expect(withInput.response == "\n\n### Response:\nThe correct spelling is 'Occasion.'")
        let noInput = PromptTemplate.alpaca.render(data[999])
        #expect(noInput.prompt == "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nWhat is an antonym of 'complicated'?")
        #expect(noInput.text == noInput.prompt + "\n\n### Response:\nAn antonym of 'complicated' is 'simple'.")
        #expect(noInput.record == data[999])
    }

    @Test func phi3MatchesExercise71() {
        let r = InstructionRecord(instruction: "Identify the correct spelling of the following word.", input: "Ocassion", output: "The correct spelling is 'Occasion.'")
        let p = PromptTemplate.phi3.render(r)
        #expect(p.text == "<|user|>\nIdentify the correct spelling of the following word.\nOcassion\n<|assistant|>:\nThe correct spelling is 'Occasion.'")
        let q = PromptTemplate.phi3.render(InstructionRecord(instruction: "Say hi.", output: "Hi."))
        #expect(q.prompt == "<|user|>\nSay hi.")
        #expect(q.response == "\n<|assistant|>:\nHi.")
    }

    @Test func customTemplatesRenderAndValidateSlots() throws {
        let config = TemplateConfig(style: .custom, prompt: "Q: {instruction} {{literal}}", input: " [{ input }]", response: " A: {output}")
        let t = try PromptTemplate(config)
        #expect(t.render(InstructionRecord(instruction: "x", input: "y", output: "z")).text == "Q: x {literal} [y] A: z")
        #expect(t.render(InstructionRecord(instruction: "x", output: "z")).text == "Q: x {literal} A: z")

        let bad = TemplateConfig(style: .custom, prompt: "Q: {instrction}", response: "{output}")
        #expect(throws: TemplateError.unknownSlot(template: "prompt", slot: "instrction", allowed: PromptTemplate.slotNames)) { try bad.validate() }
        let message = TemplateError.unknownSlot(template: "prompt", slot: "instrction", allowed: PromptTemplate.slotNames).localizedDescription
        #expect(message.contains("{instrction}") && message.contains("did you mean {instruction}"))
        #expect(throws: TemplateError.missingPart(style: "custom", field: "response")) {
            try TemplateConfig(style: .custom, prompt: "{instruction}").validate()
        }
        #expect(throws: TemplateError.unclosedSlot(template: "response", column: 3)) {
            try TemplateConfig(style: .custom, prompt: "p", response: "A:{output").validate()
        }
        #expect(throws: TemplateError.strayBrace(template: "prompt", column: 2)) {
            try TemplateConfig(style: .custom, prompt: "p}", response: "{output}").validate()
        }
        #expect(throws: TemplateError.unexpectedPart(style: "alpaca", field: "prompt")) {
            try TemplateConfig(style: .alpaca, prompt: "p").validate()
        }
        let decoded = try JSONDecoder().decode(TemplateConfig.self, from: Data("{}".utf8))
        #expect(decoded == TemplateConfig(style: .alpaca))
    }

    @Test func splitMatchesRaschkaOnChapter7Data() throws {
        guard let data = try Self.chapter7() else { return }
        let dir = try TempDirectory(); defer { dir.remove() }
        try ArtifactFiles.writeRecords(data, to: dir.file("records"))
        let prompts = try TemplateStage.run(TemplateConfig(), recordsDirectory: dir.file("records"), outputDirectory: dir.file("prompts"))
        let splits = try SplitStage.run(SplitConfig(), seed: 123, promptsDirectory: dir.file("prompts"), outputDirectory: dir.file("splits"))
        #expect(splits.train.count == 935 && splits.test.count == 110 && splits.validation.count == 55)
        #expect(splits.train + splits.test + splits.validation == prompts)
        #expect(try ArtifactFiles.readSplits(from: dir.file("splits")) == splits)
        // The chapter's test split is exactly the one its responses file was generated from.
        let withResponse = try ArtifactFiles.readJSON([ResponseRecord].self, from: SharedData.url("instruction/instruction-data-with-response.json"))
        #expect(splits.test.map(\.record) == withResponse.map(\.record))
    }

    @Test func splitCountsTruncateLikePython() {
        // Python: int(n * 0.85), int(n * 0.1); validation gets the rest.
        let c = SplitConfig()
        #expect(c.counts(for: 1100) == (935, 110, 55))
        #expect(c.counts(for: 100) == (85, 10, 5))
        #expect(c.counts(for: 7) == (5, 0, 2))
        #expect(c.counts(for: 0) == (0, 0, 0))
        // 0.7 * 10 is 7.000000000000001 in Double, 0.1 * 30 is 3.0000000000000004; both truncate as Python.
        #expect(SplitConfig(train: 0.7, test: 0.2, validation: 0.1).counts(for: 10) == (7, 2, 1))
        #expect(SplitConfig(train: 0.6, test: 0.1, validation: 0.3).counts(for: 30) == (18, 3, 9))
        #expect(SplitConfig(train: 0.29, test: 0.71, validation: 0).counts(for: 100) == (28, 71, 1))
    }

    @Test func splitValidationAndShuffle() throws {
        #expect(throws: SplitError.fractionsDoNotSumToOne(0.8, 0.1, 0.05)) { try SplitConfig(train: 0.8, test: 0.1, validation: 0.05).validate() }
        #expect(throws: SplitError.fractionOutOfRange("test", -0.1)) { try SplitConfig(train: 1, test: -0.1, validation: 0.1).validate() }
        let items = Array(0..<200)
        let a = try SplitStage.split(items, config: SplitConfig(shuffle: true), seed: 7)
        let b = try SplitStage.split(items, config: SplitConfig(shuffle: true), seed: 7)
        let c = try SplitStage.split(items, config: SplitConfig(shuffle: true), seed: 8)
        #expect(a.train == b.train && a.test == b.test && a.validation == b.validation)
        #expect(a.train != c.train)
        #expect((a.train + a.test + a.validation).sorted() == items)
        #expect(a.train != Array(items.prefix(170)))
        let plain = try SplitStage.split(items, config: SplitConfig(), seed: 7)
        #expect(plain.train == Array(0..<170) && plain.test == Array(170..<190) && plain.validation == Array(190..<200))
    }

    @Test func artifactsRoundTripAndNameBadFiles() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let responses = [ResponseRecord(instruction: "i", input: "", output: "o", modelResponse: "m</pre>\"")]
        try ArtifactFiles.writeResponses(responses, to: dir.url)
        #expect(try ArtifactFiles.readResponses(from: dir.url) == responses)
        let text = try String(contentsOf: dir.file(ArtifactFiles.responses), encoding: .utf8)
        #expect(text.contains("\"model_response\""))
        let scores = ScoreSet(judge: "exact", items: [.init(index: 0, status: .scored, score: 100), .init(index: 1, status: .unparsable, reply: "?")])
        try ArtifactFiles.writeScores(scores, to: dir.url)
        #expect(try ArtifactFiles.readScores(from: dir.url) == scores)
        #expect(scores.mean == 100 && scores.scored == 1 && scores.unparsable == 1)

        try Data("[{\"instruction\": 1}]".utf8).write(to: dir.file(ArtifactFiles.records))
        do {
            _ = try ArtifactFiles.readRecords(from: dir.url)
            Issue.record("expected an error")
        } catch let error as ArtifactError {
            #expect(error.localizedDescription.contains("records.json") && error.localizedDescription.contains("[0].instruction"))
        }
        #expect(throws: ArtifactError.missing(dir.file("nothing/prompts.json"))) { try ArtifactFiles.readPrompts(from: dir.file("nothing")) }
    }

    @Test func responseExtractionFollowsChapter7() {
        let prompt = PromptTemplate.alpaca.prompt(for: InstructionRecord(instruction: "Name a color.", output: "Blue."))
        #expect(extractResponse(generated: prompt + "\n\n### Response:\nThe sky is blue.  \n", prompt: prompt) == "The sky is blue.")
        #expect(extractResponse(generated: prompt + "\n\n### Response:\n", prompt: prompt) == "")
        #expect(extractResponse(generated: prompt, prompt: prompt) == "")
        // Every "### Response:" is removed, as str.replace does.
        #expect(extractResponse(generated: prompt + "### Response: a ### Response: b", prompt: prompt) == "a  b")
        // Python slices code points: "e\u{301}" is two of them though Swift counts one Character.
        let accented = "Caf" + "e\u{301}"
        #expect(extractResponse(generated: accented + "\u{301} ok", prompt: accented) == "\u{301} ok")
        #expect(pythonStrip("\u{1F}\u{A0} x \u{2003}\n") == "x")
    }
}
