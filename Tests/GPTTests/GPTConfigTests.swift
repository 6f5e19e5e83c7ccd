import Foundation
import Testing
@testable import GPT

@Suite struct GPTConfigTests {
    /// Published sizes with the output head tied to the token embedding.
    @Test(arguments: [
        ("gpt2-small", 124_439_808), ("gpt2-medium", 354_823_168),
        ("gpt2-large", 774_030_080), ("gpt2-xl", 1_557_611_200),
    ])
    func presetParameterCounts(name: String, count: Int) throws {
        #expect(try GPTConfig.preset(name).parameterCount == count)
    }

    @Test func customConfigDecodesWithDefaults() throws {
        let c = try JSONDecoder().decode(GPTConfig.self, from: Data(#"{"layers": 2, "heads": 4, "dim": 64}"#.utf8))
        #expect(c == GPTConfig(layers: 2, heads: 4, dim: 64))
        #expect(c.presetName == nil)
        #expect(try GPTConfig.preset("gpt2-medium").presetName == "gpt2-medium")
    }

    @Test func invalidShapesAreRejected() {
        #expect(throws: GPTError.self) { try GPTConfig(heads: 5, dim: 64).validate() }
        #expect(throws: GPTError.self) { try GPTConfig.preset("gpt2-tiny") }
    }

    @Test func layoutMatchesHuggingFaceNames() {
        let names = ParameterLayout(config: GPTConfig(layers: 1, heads: 2, dim: 8)).entries.map(\.name)
        #expect(names == [
            "wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.c_attn.weight",
            "h.0.attn.c_attn.bias", "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias", "h.0.ln_2.weight",
            "h.0.ln_2.bias", "h.0.mlp.c_fc.weight", "h.0.mlp.c_fc.bias", "h.0.mlp.c_proj.weight",
            "h.0.mlp.c_proj.bias", "ln_f.weight", "ln_f.bias",
        ])
    }
}
