import Foundation

enum HTML {
    /// Escapes text for element content and quoted attribute values.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

/// The report as one self-contained HTML file: inline CSS and SVG, no scripts, no external assets.
public enum HTMLReport {
    static let style = """
    body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
    h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
    table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
    th{background:#f6f6f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
    pre{background:#f6f8fa;padding:.8em;overflow:auto;white-space:pre-wrap;word-break:break-word;font-size:.85em}
    .chart{width:100%;max-width:640px;font-size:11px;font-family:inherit}.chart text{fill:#333}.chart .muted,.muted{fill:#888;color:#777}
    .sample{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}.sample h3{margin:.2em 0;font-size:1em}
    .bar{display:inline-block;height:.8em;background:#1f77b4;vertical-align:middle}
    """

    public static func render(_ input: ReportInput) -> String {
        let e = HTML.escape
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>\(e(input.title))</title>\n<style>\n\(style)\n</style>\n</head>\n<body>\n"
        h += "<h1>\(e(input.title))</h1>\n"
        if let sub = input.subtitle { h += "<p class=\"muted\">\(e(sub))</p>\n" }

        if !input.lossCurves.isEmpty {
            h += "<h2>Loss</h2>\n" + SVGCharts.lossChart(input.lossCurves) + "\n"
            h += "<table><tr><th>run</th><th>steps</th><th>tokens seen</th><th>first train</th><th>last train</th><th>last validation</th></tr>\n"
            for c in input.lossCurves {
                guard let first = c.points.first, let last = c.points.last else { continue }
                h += "<tr><td>\(e(c.label))</td><td class=\"num\">\(last.step)</td><td class=\"num\">\(last.tokensSeen)</td>"
                h += "<td class=\"num\">\(f3(first.train))</td><td class=\"num\">\(f3(last.train))</td><td class=\"num\">\(last.val.map(f3) ?? "–")</td></tr>\n"
            }
            h += "</table>\n"
        }

        if !input.scoreSets.isEmpty {
            h += "<h2>Scores</h2>\n" + SVGCharts.scoreHistogram(input.scoreSets) + "\n"
            h += "<table><tr><th>judge</th><th>mean</th><th>scored</th><th>unparsable</th><th>failed</th></tr>\n"
            for s in input.scoreSets {
                h += "<tr><td>\(e(s.label))</td><td class=\"num\">\(s.mean.map(f2) ?? "–")</td><td class=\"num\">\(s.scored)</td>"
                h += "<td class=\"num\">\(s.unparsable)</td><td class=\"num\">\(s.failed)</td></tr>\n"
            }
            h += "</table>\n"
        }

        if !input.timings.isEmpty {
            let longest = max(input.timings.map(\.seconds).max() ?? 1, 1e-9)
            h += "<h2>Timing</h2>\n<table><tr><th>stage</th><th>kind</th><th>seconds</th><th></th></tr>\n"
            for t in input.timings {
                let width = Int((t.seconds / longest * 200).rounded())
                h += "<tr><td>\(e(t.stage))</td><td>\(e(t.kind))\(t.cached ? " <span class=\"muted\">(cached)</span>" : "")</td>"
                h += "<td class=\"num\">\(f2(t.seconds))</td><td><span class=\"bar\" style=\"width:\(width)px\"></span></td></tr>\n"
            }
            let total = input.timings.map(\.seconds).reduce(0, +)
            h += "<tr><th colspan=\"2\">total</th><th class=\"num\">\(f2(total))</th><th></th></tr>\n</table>\n"
        }

        if !input.samples.isEmpty {
            h += "<h2>Sample responses</h2>\n"
            for (i, s) in input.samples.enumerated() {
                h += "<div class=\"sample\"><h3>Example \(i + 1)</h3>\n"
                h += "<p><strong>Instruction</strong></p><pre>\(e(s.instruction))</pre>\n"
                if !s.input.isEmpty { h += "<p><strong>Input</strong></p><pre>\(e(s.input))</pre>\n" }
                h += "<p><strong>Reference</strong></p><pre>\(e(s.reference))</pre>\n"
                for r in s.responses { h += "<p><strong>\(e(r.label))</strong></p><pre>\(e(r.text))</pre>\n" }
                h += "</div>\n"
            }
        }

        if !input.configuration.isEmpty {
            h += "<h2>Configuration</h2>\n<pre>\(e(input.configuration))</pre>\n"
        }
        return h + "</body>\n</html>\n"
    }

    static func f2(_ v: Double) -> String { String(format: "%.2f", v) }
    static func f3(_ v: Double) -> String { String(format: "%.3f", v) }
}
