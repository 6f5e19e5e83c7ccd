/// The four character classes GPT-2's pre-tokenizer pattern distinguishes, plus U+0020 which ` ?` names.
///
/// They mirror the regex engine tiktoken uses (Rust `regex`/`fancy-regex`, Unicode mode):
/// `\s` is the Unicode `White_Space` property (so U+001C…U+001F, U+200B and U+FEFF are *not* space, U+0085
/// and U+00A0 are); `\p{L}` is General_Category L (Lu, Ll, Lt, Lm, Lo); `\p{N}` is N (Nd, Nl, No). Swift's
/// `Unicode.Scalar.Properties.isWhitespace` is `White_Space` (unlike `Character.isWhitespace`).
enum ScalarClass: UInt8 {
    case other = 0
    case letter = 1
    case number = 2
    case space = 3  // U+0020 only
    case whitespace = 4  // every other White_Space scalar

    var isWhitespace: Bool { self.rawValue >= 3 }

    /// Unicode version of the regex engine tiktoken 0.14 is built with (Rust `regex-syntax` 0.8).
    static let regexUnicodeVersion = (major: 16, minor: 0)

    /// Classification straight from the Unicode properties (the reference; tables below cache it).
    static func of(_ u: Unicode.Scalar) -> ScalarClass {
        if u.value == 0x20 { return .space }
        let p = u.properties
        if p.isWhitespace { return .whitespace }
        // tiktoken's regex tables are Unicode 16.0; Swift's may be newer. A scalar assigned later is
        // unassigned (Cn, "other") to tiktoken, so it must be to us too.
        if let age = p.age, age.major > regexUnicodeVersion.major
            || (age.major == regexUnicodeVersion.major && age.minor > regexUnicodeVersion.minor) {
            return .other
        }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }

    /// Classes of U+0000…U+FFFF, built once on first use (a few milliseconds); other planes ask the
    /// properties directly, which is rare enough not to matter.
    /// Never freed: pointers let the hot loop skip the array and lazy-global checks.
    static let basicPlane: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 0x10000)
        for v in 0..<0x10000 {
            // Surrogate code points are not scalars and never occur in a String.
            p[v] = Unicode.Scalar(UInt32(v)).map { of($0).rawValue } ?? ScalarClass.other.rawValue
        }
        return UnsafePointer(p)
    }()

    /// Classes of ASCII, kept separate so plain English text never builds the larger table.
    static let ascii: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 128)
        for v in 0..<128 { p[v] = of(Unicode.Scalar(UInt8(v))).rawValue }
        return UnsafePointer(p)
    }()
}
