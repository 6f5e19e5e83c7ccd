import Foundation
import TensorCore

/// Reads and writes Hugging Face's `GPT2LMHeadModel` checkpoint layout: `model.safetensors`, `config.json`,
/// `generation_config.json` in one directory.
public enum Checkpoint {
    public static let weightsFile = "model.safetensors"
    public static let configFile = "config.json"
    public static let generationConfigFile = "generation_config.json"

    /// Buffers that old transformers versions stored beside the weights; not parameters.
    private static func isBuffer(_ name: String) -> Bool {
        name.hasSuffix(".attn.bias") && !name.contains("c_attn") || name.hasSuffix(".attn.masked_bias")
    }

    /// Loads weights from a checkpoint directory or a `.safetensors` file.
    ///
    /// The shape is taken from `expected` when given (every tensor is checked against it), otherwise from a
    /// `config.json` beside the weights, otherwise inferred from the tensor shapes when they match a preset.
    public static func load(from url: URL, expected: GPTConfig? = nil) throws -> GPTWeights {
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir)
        let weightsURL = isDir.boolValue ? url.appendingPathComponent(weightsFile) : url
        guard exists, FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw GPTError.badCheckpointConfig(file: weightsURL.path, reason: "no such file; a checkpoint directory holds \(weightsFile) and \(configFile)")
        }
        let file = try SafetensorsFile(url: weightsURL)
        let source = weightsURL.path
        // Hugging Face saves `transformer.`-prefixed keys; the Hub's original files have none.
        var byName: [String: SafetensorsEntry] = [:]
        for e in file.entries {
            var name = e.name
            if name.hasPrefix("transformer.") { name.removeFirst("transformer.".count) }
            if name == "lm_head.weight" || isBuffer(name) { continue }
            byName[name] = e
        }
        let configURL = weightsURL.deletingLastPathComponent().appendingPathComponent(configFile)
        var config: GPTConfig
        if let expected {
            config = expected
        } else if FileManager.default.fileExists(atPath: configURL.path) {
            config = try readConfig(configURL)
        } else {
            config = try inferConfig(byName, source: source)
        }
        config.qkvBias = byName["h.0.attn.c_attn.bias"] != nil
        let layoutNames = Set(ParameterLayout(config: config).entries.map(\.name))
        if let extra = byName.keys.sorted().first(where: { !layoutNames.contains($0) }) {
            if extra.hasPrefix("h."), let layer = Int(extra.split(separator: ".")[1]), layer >= config.layers {
                throw GPTError.layerCountMismatch(file: source, tensor: extra, requested: config.layers)
            }
            throw GPTError.unexpectedTensor(name: extra, file: source)
        }
        var tensors: [String: Tensor] = [:]
        for entry in ParameterLayout(config: config).entries {
            guard let e = byName[entry.name] else { throw GPTError.missingTensor(name: entry.name, file: source) }
            guard e.shape == entry.shape else {
                throw GPTError.shapeMismatch(name: entry.name, expected: entry.shape, found: e.shape, file: source)
            }
            tensors[entry.name] = try file.tensor(e.name)
        }
        return try GPTWeights(config: config, tensors: tensors, source: source)
    }

    /// Writes a directory that `transformers.GPT2LMHeadModel.from_pretrained(dir)` loads as is.
    ///
    /// `endOfText` is the tokenizer's `<|endoftext|>` id, written as the BOS and EOS ids (GPT-2 uses one
    /// token for both). Without it, GPT-2's 50256 is written when the vocabulary has that id, and no id at
    /// all otherwise: a small trained vocabulary has its own, and transformers rejects ids outside it.
    public static func save(_ weights: GPTWeights, to directory: URL, endOfText: Int? = nil) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tensors = weights.named.map { ("transformer." + $0.0, $0.1) }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent(weightsFile))
        let eot = endOfText ?? (weights.config.vocab > gpt2EndOfText ? gpt2EndOfText : nil)
        let specialIds: [String: Any] = eot.map { ["bos_token_id": $0, "eos_token_id": $0] } ?? [:]
        try writeJSON(huggingFaceConfig(weights.config).merging(specialIds) { $1 }, to: directory.appendingPathComponent(configFile))
        try writeJSON(specialIds, to: directory.appendingPathComponent(generationConfigFile))
    }

    /// `<|endoftext|>` in GPT-2's vocabulary.
    static let gpt2EndOfText = 50256

    static func huggingFaceConfig(_ c: GPTConfig) -> [String: Any] {
        [
            "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
            "vocab_size": c.vocab, "n_positions": c.context, "n_ctx": c.context, "n_embd": c.dim,
            "n_layer": c.layers, "n_head": c.heads, "activation_function": "gelu_new",
            "resid_pdrop": decimal(c.dropout), "embd_pdrop": decimal(c.dropout), "attn_pdrop": decimal(c.dropout),
            "layer_norm_epsilon": decimal(c.layerNormEpsilon), "initializer_range": 0.02,
            "tie_word_embeddings": true, "torch_dtype": "float32",
        ]
    }

    /// The Double a person wrote for `x` (1e-05, not the Float's exact 9.999999747378752e-06), so config.json
    /// reads as Hugging Face's own and transformers uses the intended value.
    private static func decimal(_ x: Float) -> Double { Double(x.description) ?? Double(x) }

    static func readConfig(_ url: URL) throws -> GPTConfig {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) } catch {
            throw GPTError.badCheckpointConfig(file: url.path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let j = object as? [String: Any] else {
            throw GPTError.badCheckpointConfig(file: url.path, reason: "expected a JSON object")
        }
        func int(_ key: String) throws -> Int {
            guard let v = j[key] as? Int else {
                throw GPTError.badCheckpointConfig(file: url.path, reason: "missing integer field \"\(key)\"")
            }
            return v
        }
        var c = GPTConfig(layers: try int("n_layer"), heads: try int("n_head"), dim: try int("n_embd"),
                          context: try int("n_positions"), vocab: try int("vocab_size"))
        if let eps = j["layer_norm_epsilon"] as? Double { c.layerNormEpsilon = Float(eps) }
        try c.validate()
        return c
    }

    static func inferConfig(_ entries: [String: SafetensorsEntry], source: String) throws -> GPTConfig {
        guard let wte = entries["wte.weight"], wte.shape.count == 2, let wpe = entries["wpe.weight"], wpe.shape.count == 2 else {
            throw GPTError.missingTensor(name: "wte.weight", file: source)
        }
        let layers = Set(entries.keys.compactMap { k -> Int? in
            let parts = k.split(separator: ".")
            return parts.first == "h" && parts.count > 1 ? Int(parts[1]) : nil
        }).count
        guard let preset = GPTConfig.presets.values.first(where: { $0.layers == layers && $0.dim == wte.shape[1] }) else {
            throw GPTError.badCheckpointConfig(file: source, reason: "no config.json beside the weights and the shapes (\(layers) layers, dim \(wte.shape[1])) match no GPT-2 preset; give the model's size (layers, heads, dim, context)")
        }
        var c = preset
        c.vocab = wte.shape[0]
        c.context = wpe.shape[0]
        return c
    }

    private static func writeJSON(_ object: Any, to url: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: url, options: .atomic)
    }
}
