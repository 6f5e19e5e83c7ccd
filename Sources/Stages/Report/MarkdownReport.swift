import Foundation

/// The report as Markdown (for READMEs, pull requests and terminals): the same sections as the HTML,
/// with tables instead of charts.
public enum MarkdownReport {
    public static func render(_ input: ReportInput) -> String {
        var m = "# \(inline(input.title))\n\n"
        if let sub = input.subtitle { m += "\(inline(sub))\n\n" }

        if !input.lossCurves.isEmpty {
            m += "## Loss\n\n"
            for c in input.lossCurves {
                if input.lossCurves.count > 1 { m += "### \(inline(c.label))\n\n" }
                m += "| step | tokens seen | train | validation |\n|---:|---:|---:|---:|\n"
                for p in thin(c.points, to: 20) {
                    m += "| \(p.step) | \(p.tokensSeen) | \(HTMLReport.f3(p.train)) | \(p.val.map(HTMLReport.f3) ?? "–") |\n"
                }
                m += "\n"
            }
        }

        if !input.scoreSets.isEmpty {
            m += "## Scores\n\n| judge | mean | scored | unparsable | failed | distribution (0–9, 10–19, …, 90–100) |\n|---|---:|---:|---:|---:|---|\n"
            for s in input.scoreSets {
                m += "| \(cell(s.label)) | \(s.mean.map(HTMLReport.f2) ?? "–") | \(s.scored) | \(s.unparsable) | \(s.failed) | \(s.histogram.map(String.init).joined(separator: " ")) |\n"
            }
            m += "\n"
        }

        if !input.timings.isEmpty {
            m += "## Timing\n\n| stage | kind | seconds | cached |\n|---|---|---:|---|\n"
            for t in input.timings {
                m += "| \(cell(t.stage)) | \(cell(t.kind)) | \(HTMLReport.f2(t.seconds)) | \(t.cached ? "yes" : "no") |\n"
            }
            m += "| **total** | | \(HTMLReport.f2(input.timings.map(\.seconds).reduce(0, +))) | |\n\n"
        }

        if !input.samples.isEmpty {
            m += "## Sample responses\n\n"
            for (i, s) in input.samples.enumerated() {
                m += "### Example \(i + 1)\n\n**Instruction**\n\n\(fenced(s.instruction))\n"
                if !s.input.isEmpty { m += "**Input**\n\n\(fenced(s.input))\n" }
                m += "**Reference**\n\n\(fenced(s.reference))\n"
                for r in s.responses { m += "**\(inline(r.label))**\n\n\(fenced(r.text))\n" }
            }
        }

        if !input.configuration.isEmpty {
            m += "## Configuration\n\n" + fenced(input.configuration, info: "json")
        }
        return m
    }

    /// A fenced block whose fence is longer than any backtick run inside, so content cannot close it.
    static func fenced(_ text: String, info: String = "text") -> String {
        var longest = 0, run = 0
        for c in text {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return "\(fence)\(info)\n\(text)\n\(fence)\n"
    }

    /// Text in a heading or paragraph: HTML and Markdown markup characters are neutralised.
    static func inline(_ s: String) -> String {
        var out = ""
        for c in s.replacingOccurrences(of: "\n", with: " ") {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\\", "`", "*", "_", "[", "]", "#", "|": out += "\\\(c)"
            default: out.append(c)
            }
        }
        return out
    }

    static func cell(_ s: String) -> String { inline(s) }

    /// At most about `n` points, always keeping the first and last.
    static func thin(_ points: [LossPoint], to n: Int) -> [LossPoint] {
        guard points.count > n, n > 1 else { return points }
        let stride = Double(points.count - 1) / Double(n - 1)
        return (0..<n).map { points[Int((Double($0) * stride).rounded())] }
    }
}

/// The `report` stage's work: write `report.html` and `report.md`.
public enum ReportStage {
    public static let htmlFile = "report.html"
    public static let markdownFile = "report.md"

    public static func run(_ input: ReportInput, outputDirectory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
            try Data(HTMLReport.render(input).utf8).write(to: outputDirectory.appendingPathComponent(htmlFile), options: .atomic)
            try Data(MarkdownReport.render(input).utf8).write(to: outputDirectory.appendingPathComponent(markdownFile), options: .atomic)
        } catch {
            throw ArtifactError.write(outputDirectory, error.localizedDescription)
        }
    }
}
