import Foundation

/// Computed judges: no model, no network.
public enum TextMetrics {
    /// Normalises for exact match: lower case, whitespace runs collapsed to one space, surrounding
    /// whitespace and trailing sentence punctuation (`.`, `!`, `?`) removed — so "3000 meters." matches
    /// "3000 meters" but "3000" does not match "300".
    public static func normalizeForExactMatch(_ s: String) -> String {
        var t = s.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        while let last = t.last, ".!?".contains(last) { t.removeLast() }
        return t.trimmingCharacters(in: .whitespaces)
    }

    /// 100 when the normalised strings are equal, else 0.
    public static func exactMatch(_ prediction: String, _ reference: String) -> Double {
        normalizeForExactMatch(prediction) == normalizeForExactMatch(reference) ? 100 : 0
    }

    /// Tokens as Google's `rouge_score` makes them without stemming: lower case, every run of characters
    /// other than `a-z0-9` is a separator.
    public static func rougeTokens(_ s: String) -> [Substring] {
        let lowered = s.lowercased()
        return lowered.split(whereSeparator: { c in !(c.isASCII && (c.isLetter || c.isNumber)) })
    }

    /// Length of the longest common subsequence, in O(n·m) time and O(m) memory.
    public static func lcsLength<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var prev = [Int](repeating: 0, count: b.count + 1)
        var cur = prev
        for x in a {
            for j in 1...b.count {
                cur[j] = x == b[j - 1] ? prev[j - 1] + 1 : max(prev[j], cur[j - 1])
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    /// ROUGE-L F1 in 0...100 (`rouge_score`'s `rougeL` fmeasure times 100; 0 when either side has no tokens).
    public static func rougeL(_ prediction: String, _ reference: String) -> Double {
        let p = rougeTokens(prediction), r = rougeTokens(reference)
        guard !p.isEmpty, !r.isEmpty else { return 0 }
        let lcs = Double(lcsLength(p, r))
        guard lcs > 0 else { return 0 }
        let precision = lcs / Double(p.count), recall = lcs / Double(r.count)
        return 100 * 2 * precision * recall / (precision + recall)
    }
}
