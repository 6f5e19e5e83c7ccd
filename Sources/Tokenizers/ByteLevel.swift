/// GPT-2's reversible byte ↔ character alphabet.
///
/// Vocabulary files store tokens as text, so GPT-2 maps each of the 256 byte values to a printable
/// character: the printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves, the other 68
/// bytes take U+0100, U+0101, … in byte order (so a space is `Ġ`, U+0120, and a newline `Ċ`, U+010A).
enum ByteLevel {
    /// Bytes in the order GPT-2 numbers them: printable bytes first, then the rest. Token id `k < 256`
    /// of GPT-2 is the byte `byteOrder[k]`.
    static let byteOrder: [UInt8] = {
        var printable = Array(UInt8(ascii: "!")...UInt8(ascii: "~")) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        let set = Set(printable)
        printable += (0...255).map { UInt8($0) }.filter { !set.contains($0) }
        return printable
    }()

    /// Character (Unicode scalar value) standing for each byte.
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// Inverse of `scalarForByte`, indexed by scalar value (all are < 324); -1 where no byte maps.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for b in 0..<256 { table[Int(scalarForByte[b])] = Int16(b) }
        return table
    }()

    /// Encodes raw bytes as GPT-2 vocabulary text.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(scalarForByte[Int(b)])!) }
        return String(s)
    }

    /// Appends the raw bytes of vocabulary text (UTF-8) to `out`; false if a character is outside the
    /// alphabet (all of which are one or two UTF-8 bytes) or the UTF-8 is malformed.
    static func decode(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        var i = 0
        let n = text.count
        while i < n {
            let b0 = text[i]
            var v: Int
            if b0 < 0x80 {
                v = Int(b0)
                i += 1
            } else if b0 >= 0xC2 && b0 < 0xE0 && i + 1 < n && text[i + 1] & 0xC0 == 0x80 {
                v = Int(b0 & 0x1F) << 6 | Int(text[i + 1] & 0x3F)
                i += 2
            } else {
                return false
            }
            guard v < byteForScalar.count else { return false }
            let b = byteForScalar[v]
            if b < 0 { return false }
            out.append(UInt8(b))
        }
        return true
    }

    /// Decodes vocabulary text (as UTF-8 bytes) to raw bytes; nil if a character is outside the alphabet
    /// or the UTF-8 is invalid.
    static func decode(utf8 text: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var it = text.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue(let u):
                guard u.value < 324 else { return nil }
                let b = byteForScalar[Int(u.value)]
                if b < 0 { return nil }
                out.append(UInt8(b))
            case .emptyInput:
                return out
            case .error:
                return nil
            }
        }
    }
}
