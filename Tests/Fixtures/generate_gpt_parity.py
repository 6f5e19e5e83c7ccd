#!/usr/bin/env python3
"""Generates Tests/Fixtures/gpt/parity.json: Hugging Face GPT2LMHeadModel's logits, loss, gradients and one
AdamW step for a small GPT-2 (2 layers, 4 heads, dim 64, the real 50,257-token vocabulary) on a padded batch.

Weights are not drawn from torch's RNG: each element comes from a splitmix64 hash of (parameter index,
element index), which the Swift test recomputes bit-for-bit, so no weights need to be committed.
Full tensors would be megabytes, so each is recorded as float64 sums (sum, sum of |x|, sum of x^2) plus
values at 64 sampled positions.

Run once:  /tmp/ref/bin/python Tests/Fixtures/generate_gpt_parity.py   (needs torch + transformers)
"""
import json, os
import numpy as np
import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel

LAYERS, HEADS, DIM, CONTEXT, VOCAB = 2, 4, 64, 32, 50257
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def hashed_uniform(param_index, n):
    """u in [0,1) per element: splitmix64 finaliser of (param_index+1)*golden + i, top 24 bits."""
    i = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(param_index + 1) * np.uint64(0x9E3779B97F4A7C15) + i
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)


def init_value(name, param_index, n):
    u = hashed_uniform(param_index, n)
    if ".ln_" in name or name.startswith("ln_f"):
        center, scale = (1.0, 0.1) if name.endswith("weight") else (0.0, 0.1)
    elif name.endswith("bias"):
        center, scale = 0.0, 0.02
    else:
        center, scale = 0.0, 0.05
    return (center + scale * (2.0 * u - 1.0)).astype(np.float32)


def stats(t, idx):
    a = t.detach().double().flatten()
    return {"sum": a.sum().item(), "abs": a.abs().sum().item(), "sq": (a * a).sum().item(),
            "samples": [float(a[j]) for j in idx]}


def sample_indices(n, rng):
    return sorted(set(int(x) for x in rng.integers(0, n, size=64)))[:64]


def main():
    cfg = GPT2Config(n_embd=DIM, n_layer=LAYERS, n_head=HEADS, vocab_size=VOCAB, n_positions=CONTEXT,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, activation_function="gelu_new")
    model = GPT2LMHeadModel(cfg).float()
    params = dict(model.transformer.named_parameters())
    # Finch's ParameterLayout order (same as Hugging Face's registration order).
    names = ["wte.weight", "wpe.weight"]
    for i in range(LAYERS):
        p = f"h.{i}."
        names += [p + s for s in ["ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                                  "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
                                  "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"]]
    names += ["ln_f.weight", "ln_f.bias"]
    assert sorted(names) == sorted(params), set(names) ^ set(params)
    with torch.no_grad():
        for k, name in enumerate(names):
            t = params[name]
            t.copy_(torch.from_numpy(init_value(name, k, t.numel()).reshape(tuple(t.shape))))

    # Raschka's collate: append 50256, pad with 50256 to the longest, shift, -100 after the first padding target.
    rng = np.random.default_rng(7)
    seqs = [list(rng.integers(0, VOCAB - 1, size=n)) for n in (7, 12, 9)]
    seqs[1][3] = 50255  # a high id, so the tied head's last rows get gradient
    items = [[int(x) for x in s] + [50256] for s in seqs]
    T = max(len(s) for s in items)
    inputs, targets = [], []
    for it in items:
        padded = it + [50256] * (T - len(it))
        x, y = padded[:-1], padded[1:]
        first = len(it) - 2
        y = y[:first + 1] + [-100] * (len(y) - first - 1)
        inputs.append(x); targets.append(y)
    x, y = torch.tensor(inputs), torch.tensor(targets)

    model.train()
    logits = model(x).logits
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=-100)
    loss.backward()

    srng = np.random.default_rng(11)
    out = {"config": {"layers": LAYERS, "heads": HEADS, "dim": DIM, "context": CONTEXT, "vocab": VOCAB},
           "generator": "transformers GPT2LMHeadModel, torch " + torch.__version__,
           "inputs": inputs, "targets": targets, "loss": loss.item(), "parameters": {}}
    lidx = sample_indices(logits.numel(), srng)
    out["logits"] = {"shape": list(logits.shape), "indices": lidx, **stats(logits, lidx)}
    idx_of = {}
    for name in names:
        t = params[name]
        idx_of[name] = sample_indices(t.numel(), srng)
        out["parameters"][name] = {"shape": list(t.shape), "indices": idx_of[name],
                                   "grad": stats(t.grad, idx_of[name])}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    opt.step()
    out["adamw"] = {"lr": 1e-3, "weight_decay": 0.1, "betas": [0.9, 0.999], "eps": 1e-8}
    for name in names:
        out["parameters"][name]["after_adamw"] = stats(params[name], idx_of[name])
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpt", "parity.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes; loss", loss.item())


if __name__ == "__main__":
    main()
