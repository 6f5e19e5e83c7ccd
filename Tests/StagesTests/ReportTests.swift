import Foundation
import Testing
import TestSupport
@testable import Stages

@Suite struct ReportTests {
    static func input(samples: [ResponseSample]) -> ReportInput {
        let points = (0..<30).map { LossPoint(step: $0 * 5, tokensSeen: $0 * 5 * 544, train: 3 - Double($0) * 0.05, val: $0 % 3 == 0 ? 3.1 - Double($0) * 0.04 : nil) }
        return ReportInput(
            title: "gpt2 <alpaca> & \"friends\"",
            configuration: "{\"name\": \"</pre><script>alert(1)</script>\", \"lr\": 5e-05}",
            lossCurves: [LossCurve(label: "tuned", points: points), LossCurve(label: "lora|r8", points: Array(points.prefix(10)))],
            scoreSets: [ScoreSummary(label: "ollama:llama3", scores: [50, 100, 0, 73], unparsable: 1, failed: 2),
                        ScoreSummary(label: "rouge-l", scores: [10, 20.5])],
            timings: [StageTiming(stage: "tuned", kind: "finetune", seconds: 120.5), StageTiming(stage: "data", kind: "fetch", seconds: 0.01, cached: true)],
            samples: samples)
    }

    @Test func htmlIsSelfContainedAndEscaped() throws {
        let sample = ResponseSample(instruction: "Write <b>bold</b>", input: "x & y", reference: "ok",
                                    responses: [.init(label: "tuned", text: "</pre><img src=x onerror=alert(1)>")])
        let html = HTMLReport.render(Self.input(samples: [sample]))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>bold"))
        #expect(html.contains("&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("gpt2 &lt;alpaca&gt; &amp; &quot;friends&quot;"))
        #expect(html.contains("x &amp; y"))
        // No external assets: the only URL is the SVG namespace.
        let urls = html.components(separatedBy: "http").dropFirst().map { $0.prefix(30) }
        #expect(urls.allSatisfy { $0.hasPrefix("://www.w3.org/2000/svg") })
        #expect(!html.contains("src=\"") && !html.contains("href="))
        // Two charts, train and validation polylines for both curves, means in the table.
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(html.components(separatedBy: "<polyline").count - 1 == 4)
        #expect(html.contains("55.75") && html.contains("15.25"))
        #expect(html.contains("(cached)"))
        #expect(html.contains("lora|r8"))
        try Self.wellFormed(html)
    }

    @Test func markdownHasEverySection() {
        let md = MarkdownReport.render(Self.input(samples: [ResponseSample(instruction: "use ``` fences", reference: "r", responses: [.init(label: "m", text: "```\nx\n```")])]))
        for heading in ["## Loss", "## Scores", "## Timing", "## Sample responses", "## Configuration"] { #expect(md.contains(heading)) }
        #expect(md.contains("# gpt2 &lt;alpaca&gt; &amp; \"friends\""))
        #expect(md.contains("| ollama:llama3 | 55.75 | 4 | 1 | 2 | 1 0 0 0 0 1 0 1 0 1 |"))
        #expect(md.contains("lora\\|r8"))
        #expect(md.contains("````text\n```\nx\n```\n````"))
        // Thinned to about 20 rows, first and last kept.
        #expect(md.contains("| 0 | 0 | 3.000 |") && md.contains("| 145 | 78880 |"))
    }

    @Test func reportFromChapter7Artifacts() async throws {
        guard SharedData.available else { return }
        let dir = try TempDirectory(); defer { dir.remove() }
        let responses = try ArtifactFiles.readJSON([ResponseRecord].self, from: SharedData.url("instruction/instruction-data-with-response.json"))
        let rouge = try await JudgeStage.score(JudgeConfig(kind: .rougeL), responses: responses, workDirectory: nil)
        let exact = try await JudgeStage.score(JudgeConfig(kind: .exact), responses: responses, workDirectory: nil)
        let input = ReportInput(title: "chapter 7", configuration: "{}",
                                scoreSets: [ScoreSummary(rouge), ScoreSummary(exact)],
                                samples: ResponseSample.lineUp([("gpt2-medium", responses)], count: 3))
        try ReportStage.run(input, outputDirectory: dir.url)
        let html = try String(contentsOf: dir.file(ReportStage.htmlFile), encoding: .utf8)
        let md = try String(contentsOf: dir.file(ReportStage.markdownFile), encoding: .utf8)
        #expect(html.contains("The car is as fast as a bullet.") && md.contains("The car is as fast as a bullet."))
        #expect(input.samples.count == 3 && input.samples[0].reference == "The car is as fast as lightning.")
        #expect(ScoreSummary(rouge).histogram.reduce(0, +) == 110)
        try Self.wellFormed(html)
    }

    /// Checks that tags nest: every element opened is closed in order (void elements aside).
    static func wellFormed(_ html: String) throws {
        let void: Set<String> = ["meta", "br", "img"]  // HTML void elements; SVG elements must self-close with "/>"
        var stack: [String] = []
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { Issue.record("unterminated tag"); return }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            if tag.hasPrefix("!") { continue }
            let selfClosing = tag.hasSuffix("/")
            let name = tag.drop(while: { $0 == "/" }).prefix(while: { $0.isLetter || $0.isNumber }).lowercased()
            if tag.hasPrefix("/") {
                #expect(stack.popLast() == name, "mismatched </\(name)>")
            } else if !selfClosing && !void.contains(name) {
                stack.append(name)
            }
        }
        #expect(stack.isEmpty, "unclosed: \(stack)")
    }
}
