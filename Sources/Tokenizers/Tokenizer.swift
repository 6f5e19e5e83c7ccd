/// What the pipeline stages and the model need from a tokenizer.
public protocol Tokenizer: AnyObject, Sendable {
    /// Number of ids (the model's embedding rows): ids are `0..<vocabSize`.
    var vocabSize: Int { get }
    /// Id of `<|endoftext|>` (50256 for GPT-2): padding, document separator and generation stop.
    var eotId: Int { get }
    /// Special tokens by text (for GPT-2 only `<|endoftext|>`).
    var specialTokens: [String: Int] { get }
    /// Token ids of `text`. A special token's text becomes its id only if it is in `allowedSpecial`
    /// (tiktoken's `allowed_special`); otherwise its characters are encoded as ordinary text.
    func encode(_ text: String, allowedSpecial: Set<String>) -> [Int]
    /// The UTF-8 bytes the ids stand for, concatenated (ids out of range give U+FFFD's bytes).
    func decodeBytes(_ ids: [Int]) -> [UInt8]
}

extension Tokenizer {
    /// Ordinary encoding: special-token text gets no special treatment.
    public func encode(_ text: String) -> [Int] { encode(text, allowedSpecial: []) }

    /// Text of the ids. Byte sequences that are not valid UTF-8 — a prefix of ids ending inside a
    /// multi-byte character, say — become U+FFFD; `decode(encode(s)) == s` for every string.
    public func decode(_ ids: [Int]) -> String { String(decoding: decodeBytes(ids), as: UTF8.self) }

    /// Every special token allowed (for `allowedSpecial:`).
    public var allSpecialTokens: Set<String> { Set(specialTokens.keys) }
}
