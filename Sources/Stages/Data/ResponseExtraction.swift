import Foundation

/// Chapter 7's response extraction: `generated_text[len(input_text):].replace("### Response:", "").strip()`.
///
/// Python slices by Unicode code points, so this drops `prompt.unicodeScalars.count` scalars (not
/// Characters: a prompt ending in a combining mark would otherwise shift the cut), and strips what Python's
/// `str.strip()` strips.
public func extractResponse(generated: String, prompt: String) -> String {
    let scalars = generated.unicodeScalars
    let cut = scalars.index(scalars.startIndex, offsetBy: prompt.unicodeScalars.count, limitedBy: scalars.endIndex) ?? scalars.endIndex
    let rest = String(String.UnicodeScalarView(scalars[cut...]))
    return pythonStrip(rest.replacingOccurrences(of: "### Response:", with: ""))
}

/// Python's `str.strip()` with no argument: removes leading and trailing characters for which
/// `str.isspace()` is true (Unicode whitespace plus the ASCII separators 0x1C–0x1F).
public func pythonStrip(_ s: String) -> String {
    func isSpace(_ u: Unicode.Scalar) -> Bool {
        (0x09...0x0D).contains(u.value) || (0x1C...0x1F).contains(u.value) || u.properties.isWhitespace
    }
    let scalars = Array(s.unicodeScalars)
    guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
    let last = scalars.lastIndex(where: { !isSpace($0) })!
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars[first...last])
    return String(view)
}
