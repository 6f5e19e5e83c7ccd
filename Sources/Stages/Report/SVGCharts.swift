import Foundation

/// Inline SVG charts (no scripts, no external assets), sized for a report column.
enum SVGCharts {
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    struct Box {
        let width = 640.0, height = 320.0
        let left = 56.0, right = 16.0, top = 40.0, bottom = 44.0
        var plotWidth: Double { width - left - right }
        var plotHeight: Double { height - top - bottom }
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Round tick values covering lo...hi (about `count` of them).
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var t = ceil(lo / step) * step
        var out: [Double] = []
        while t <= hi + step * 1e-9 { out.append(t); t += step }
        return out
    }

    static func label(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e6 { return String(Int(v)) }
        return String(format: abs(v) >= 10 ? "%.1f" : "%.2f", v)
    }

    static func compact(_ n: Double) -> String {
        if n >= 1e6 { return String(format: "%.1fM", n / 1e6) }
        if n >= 1e3 { return String(format: "%.0fk", n / 1e3) }
        return String(Int(n))
    }

    /// Train (solid) and validation (dashed) loss against steps; tokens seen on the top axis
    /// (from the first curve), as chapter 7 plots them.
    static func lossChart(_ curves: [LossCurve]) -> String {
        let b = Box()
        let points = curves.flatMap(\.points)
        guard !points.isEmpty else { return "" }
        let steps = points.map { Double($0.step) }
        let losses = points.flatMap { [$0.train] + ($0.val.map { [$0] } ?? []) }.filter(\.isFinite)
        let x0 = steps.min()!, x1 = max(steps.max()!, x0 + 1)
        var y0 = losses.min() ?? 0, y1 = losses.max() ?? 1
        if y1 - y0 < 1e-9 { y0 -= 0.5; y1 += 0.5 }
        let pad = (y1 - y0) * 0.05
        y0 = max(0, y0 - pad); y1 += pad
        func x(_ v: Double) -> Double { b.left + (v - x0) / (x1 - x0) * b.plotWidth }
        func y(_ v: Double) -> Double { b.top + (1 - (v - y0) / (y1 - y0)) * b.plotHeight }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(b.width)) \(Int(b.height))\" class=\"chart\" role=\"img\" aria-label=\"training and validation loss\">\n"
        s += "<rect x=\"\(fmt(b.left))\" y=\"\(fmt(b.top))\" width=\"\(fmt(b.plotWidth))\" height=\"\(fmt(b.plotHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
        for t in ticks(y0, y1) {
            s += "<line x1=\"\(fmt(b.left))\" x2=\"\(fmt(b.left + b.plotWidth))\" y1=\"\(fmt(y(t)))\" y2=\"\(fmt(y(t)))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(fmt(b.left - 6))\" y=\"\(fmt(y(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n"
        }
        let reference = curves.first { !$0.points.isEmpty }?.points ?? []
        for t in ticks(x0, x1) {
            s += "<line x1=\"\(fmt(x(t)))\" x2=\"\(fmt(x(t)))\" y1=\"\(fmt(b.top + b.plotHeight))\" y2=\"\(fmt(b.top + b.plotHeight + 4))\" stroke=\"#999\"/>"
            s += "<text x=\"\(fmt(x(t)))\" y=\"\(fmt(b.top + b.plotHeight + 18))\" text-anchor=\"middle\">\(label(t))</text>"
            if let tokens = interpolateTokens(reference, step: t) {
                s += "<text x=\"\(fmt(x(t)))\" y=\"\(fmt(b.top - 6))\" text-anchor=\"middle\" class=\"muted\">\(compact(tokens))</text>"
            }
            s += "\n"
        }
        s += "<text x=\"\(fmt(b.left + b.plotWidth / 2))\" y=\"\(fmt(b.height - 6))\" text-anchor=\"middle\">step</text>\n"
        s += "<text x=\"\(fmt(b.left + b.plotWidth / 2))\" y=\"12\" text-anchor=\"middle\" class=\"muted\">tokens seen</text>\n"
        s += "<text x=\"14\" y=\"\(fmt(b.top + b.plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(fmt(b.top + b.plotHeight / 2)))\">loss</text>\n"

        var legend: [(String, String, Bool)] = []
        for (i, curve) in curves.enumerated() {
            let color = palette[i % palette.count]
            let name = curves.count > 1 ? curve.label + " " : ""
            let train = curve.points.filter { $0.train.isFinite }.map { "\(fmt(x(Double($0.step)))),\(fmt(y($0.train)))" }
            if !train.isEmpty {
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(train.joined(separator: " "))\"/>\n"
                legend.append((name + "train", color, false))
            }
            let val = curve.points.compactMap { p in p.val.flatMap { $0.isFinite ? "\(fmt(x(Double(p.step)))),\(fmt(y($0)))" : nil } }
            if !val.isEmpty {
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" stroke-dasharray=\"6 4\" points=\"\(val.joined(separator: " "))\"/>\n"
                legend.append((name + "validation", color, true))
            }
        }
        for (i, item) in legend.enumerated() {
            let ly = b.top + 14 + Double(i) * 16, lx = b.left + b.plotWidth - 150
            s += "<line x1=\"\(fmt(lx))\" x2=\"\(fmt(lx + 24))\" y1=\"\(fmt(ly - 4))\" y2=\"\(fmt(ly - 4))\" stroke=\"\(item.1)\" stroke-width=\"2\"\(item.2 ? " stroke-dasharray=\"6 4\"" : "")/>"
            s += "<text x=\"\(fmt(lx + 30))\" y=\"\(fmt(ly))\">\(HTML.escape(item.0))</text>\n"
        }
        return s + "</svg>"
    }

    static func interpolateTokens(_ points: [LossPoint], step: Double) -> Double? {
        guard let first = points.first, let last = points.last, Double(first.step) <= step, step <= Double(last.step) else { return nil }
        for (a, b) in zip(points, points.dropFirst()) where Double(a.step) <= step && step <= Double(b.step) {
            let span = Double(b.step - a.step)
            let f = span > 0 ? (step - Double(a.step)) / span : 0
            return Double(a.tokensSeen) + f * Double(b.tokensSeen - a.tokensSeen)
        }
        return Double(first.tokensSeen)
    }

    /// Score distributions in ten bins, sets side by side in each bin, with each set's mean as a dashed line.
    static func scoreHistogram(_ sets: [ScoreSummary]) -> String {
        let b = Box()
        guard !sets.isEmpty else { return "" }
        let hist = sets.map(\.histogram)
        let top = max(1, hist.flatMap { $0 }.max() ?? 1)
        // Headroom above the tallest bar, rounded up to a tick.
        let headroom = Double(top) * 1.15
        let yMax = ticks(0, headroom).last.map { $0 >= headroom ? $0 : $0 + (ticks(0, headroom).dropFirst().first ?? 1) } ?? headroom
        func y(_ v: Double) -> Double { b.top + (1 - v / yMax) * b.plotHeight }
        let binWidth = b.plotWidth / 10
        let barWidth = binWidth * 0.8 / Double(sets.count)

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(b.width)) \(Int(b.height))\" class=\"chart\" role=\"img\" aria-label=\"score distribution\">\n"
        s += "<rect x=\"\(fmt(b.left))\" y=\"\(fmt(b.top))\" width=\"\(fmt(b.plotWidth))\" height=\"\(fmt(b.plotHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
        for t in ticks(0, yMax) {
            s += "<line x1=\"\(fmt(b.left))\" x2=\"\(fmt(b.left + b.plotWidth))\" y1=\"\(fmt(y(t)))\" y2=\"\(fmt(y(t)))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(fmt(b.left - 6))\" y=\"\(fmt(y(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n"
        }
        for bin in 0...10 {
            let bx = b.left + Double(bin) * binWidth
            s += "<text x=\"\(fmt(bx))\" y=\"\(fmt(b.top + b.plotHeight + 18))\" text-anchor=\"middle\">\(bin * 10)</text>"
        }
        s += "\n"
        for (k, counts) in hist.enumerated() {
            let color = palette[k % palette.count]
            for (bin, c) in counts.enumerated() where c > 0 {
                let bx = b.left + Double(bin) * binWidth + binWidth * 0.1 + Double(k) * barWidth
                s += "<rect x=\"\(fmt(bx))\" y=\"\(fmt(y(Double(c))))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(b.top + b.plotHeight - y(Double(c))))\" fill=\"\(color)\"><title>\(HTML.escape(sets[k].label)): \(c) in \(bin * 10)–\(bin == 9 ? 100 : bin * 10 + 9)</title></rect>"
            }
            if let mean = sets[k].mean {
                let mx = b.left + mean / 100 * b.plotWidth
                s += "<line x1=\"\(fmt(mx))\" x2=\"\(fmt(mx))\" y1=\"\(fmt(b.top))\" y2=\"\(fmt(b.top + b.plotHeight))\" stroke=\"\(color)\" stroke-dasharray=\"4 3\"/>"
            }
            // Legend in the top margin, three entries per row, clear of the bars.
            let ly = 14 + Double(k / 3) * 14, lx = b.left + Double(k % 3) * (b.plotWidth / 3)
            s += "<rect x=\"\(fmt(lx))\" y=\"\(fmt(ly - 9))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            s += "<text x=\"\(fmt(lx + 16))\" y=\"\(fmt(ly))\">\(HTML.escape(sets[k].label))\(sets[k].mean.map { " (mean \(String(format: "%.2f", $0)))" } ?? "")</text>\n"
        }
        s += "<text x=\"\(fmt(b.left + b.plotWidth / 2))\" y=\"\(fmt(b.height - 6))\" text-anchor=\"middle\">score</text>\n"
        s += "<text x=\"14\" y=\"\(fmt(b.top + b.plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(fmt(b.top + b.plotHeight / 2)))\">responses</text>\n"
        return s + "</svg>"
    }
}
