/// Names and shapes of every parameter, exactly as Hugging Face's `GPT2LMHeadModel` stores them (without the
/// `transformer.` prefix). Linear layers use GPT-2's Conv1D layout, weight [in, out], so y = x · W + b.
public struct ParameterLayout: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        /// How Hugging Face initialises it (`_init_weights`), so a random model starts where theirs does.
        public let initialisation: Initialisation
    }

    public enum Initialisation: Sendable, Equatable {
        case normal(std: Float)
        case zeros
        case ones
    }

    public let entries: [Entry]

    public init(config c: GPTConfig) {
        let std: Float = 0.02
        // GPT-2 scales the residual projections by 1/√(2·layers) so the residual stream's variance does not grow with depth.
        let residualStd = std / Float(2 * c.layers).squareRoot()
        var e: [Entry] = [
            Entry(name: "wte.weight", shape: [c.vocab, c.dim], initialisation: .normal(std: std)),
            Entry(name: "wpe.weight", shape: [c.context, c.dim], initialisation: .normal(std: std)),
        ]
        for i in 0..<c.layers {
            let p = "h.\(i)."
            e += [
                Entry(name: p + "ln_1.weight", shape: [c.dim], initialisation: .ones),
                Entry(name: p + "ln_1.bias", shape: [c.dim], initialisation: .zeros),
                Entry(name: p + "attn.c_attn.weight", shape: [c.dim, 3 * c.dim], initialisation: .normal(std: std)),
            ]
            if c.qkvBias { e.append(Entry(name: p + "attn.c_attn.bias", shape: [3 * c.dim], initialisation: .zeros)) }
            e += [
                Entry(name: p + "attn.c_proj.weight", shape: [c.dim, c.dim], initialisation: .normal(std: residualStd)),
                Entry(name: p + "attn.c_proj.bias", shape: [c.dim], initialisation: .zeros),
                Entry(name: p + "ln_2.weight", shape: [c.dim], initialisation: .ones),
                Entry(name: p + "ln_2.bias", shape: [c.dim], initialisation: .zeros),
                Entry(name: p + "mlp.c_fc.weight", shape: [c.dim, 4 * c.dim], initialisation: .normal(std: std)),
                Entry(name: p + "mlp.c_fc.bias", shape: [4 * c.dim], initialisation: .zeros),
                Entry(name: p + "mlp.c_proj.weight", shape: [4 * c.dim, c.dim], initialisation: .normal(std: residualStd)),
                Entry(name: p + "mlp.c_proj.bias", shape: [c.dim], initialisation: .zeros),
            ]
        }
        e += [
            Entry(name: "ln_f.weight", shape: [c.dim], initialisation: .ones),
            Entry(name: "ln_f.bias", shape: [c.dim], initialisation: .zeros),
        ]
        entries = e
    }
}
