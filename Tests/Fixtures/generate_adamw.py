"""Reference values for Finch's optimizer tests, computed with PyTorch.

Run with the reference environment (torch installed):
    /tmp/ref/bin/python Tests/Fixtures/generate_adamw.py
Writes Tests/Fixtures/adamw/{adamw,sgd,clip}.json. Every float is a float32 value written as the
shortest decimal that round-trips through float64, so Swift reads back the exact float32.
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "adamw")
torch.manual_seed(1234)


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def schedule_lr(step, peak, warmup, total, min_ratio):
    """Finch's `cosine` schedule (see Sources/TensorCore/Optimizers/Schedule.swift), in float64."""
    if step < warmup:
        return peak * (step + 1) / warmup
    if step >= total:
        return peak * min_ratio
    progress = (step - warmup) / (total - warmup)
    floor = peak * min_ratio
    return floor + (peak - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def make_params(spec):
    return {name: torch.randn(*shape, dtype=torch.float32) for name, shape in spec}


def adamw_fixture():
    # Group "decay" uses the optimizer's default weight decay (0.1, chapter 7); group "no_decay" uses 0.
    # One tensor has 320 elements so PyTorch's vectorised kernels run, the small ones take its scalar path.
    decay_spec = [("h.0.attn.c_attn.weight", [8, 40]), ("h.0.mlp.c_fc.weight", [3, 5])]
    no_decay_spec = [("h.0.ln_1.weight", [5]), ("h.0.attn.c_attn.bias", [7])]
    decay = make_params(decay_spec)
    no_decay = make_params(no_decay_spec)
    initial = {n: flat(t) for n, t in {**decay, **no_decay}.items()}
    params = {n: torch.nn.Parameter(t.clone()) for n, t in {**decay, **no_decay}.items()}
    peak, warmup, total, min_ratio = 1e-2, 2, 3, 0.1
    opt = torch.optim.AdamW(
        [
            {"params": [params[n] for n, _ in decay_spec]},
            {"params": [params[n] for n, _ in no_decay_spec], "weight_decay": 0.0},
        ],
        lr=peak, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1,
    )
    steps = []
    for step in range(3):
        lr = schedule_lr(step, peak, warmup, total, min_ratio)
        for group in opt.param_groups:
            group["lr"] = lr
        grads = {}
        for n, p in params.items():
            g = torch.randn_like(p) * (0.5 + step)
            p.grad = g.clone()
            grads[n] = flat(g)
        opt.step()
        state = {n: opt.state[p] for n, p in params.items()}
        steps.append({
            "lr": lr,
            "grads": grads,
            "params": {n: flat(p) for n, p in params.items()},
            "exp_avg": {n: flat(state[n]["exp_avg"]) for n in params},
            "exp_avg_sq": {n: flat(state[n]["exp_avg_sq"]) for n in params},
        })
    return {
        "torch": torch.__version__,
        "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1,
        "schedule": {"kind": "cosine", "peak_lr": peak, "warmup_steps": warmup, "total_steps": total,
                     "min_lr_ratio": min_ratio},
        "groups": [
            {"names": [n for n, _ in decay_spec], "weight_decay": None},
            {"names": [n for n, _ in no_decay_spec], "weight_decay": 0.0},
        ],
        "shapes": {n: s for n, s in decay_spec + no_decay_spec},
        "initial": initial,
        "steps": steps,
    }


def sgd_fixture():
    cases = []
    for cfg in [
        {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.01},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "nesterov": False, "weight_decay": 0.0},
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.0, "nesterov": True, "weight_decay": 0.02},
    ]:
        spec = [("w", [6, 40]), ("b", [6])]
        init = make_params(spec)
        params = {n: torch.nn.Parameter(t.clone()) for n, t in init.items()}
        opt = torch.optim.SGD(list(params.values()), **cfg)
        steps = []
        for step in range(3):
            grads = {}
            for n, p in params.items():
                g = torch.randn_like(p)
                p.grad = g.clone()
                grads[n] = flat(g)
            opt.step()
            steps.append({"grads": grads, "params": {n: flat(p) for n, p in params.items()}})
        cases.append({"config": cfg, "shapes": dict(spec), "initial": {n: flat(t) for n, t in init.items()},
                      "steps": steps})
    return {"torch": torch.__version__, "cases": cases}


def clip_fixture():
    cases = []
    for max_norm, scale in [(1.0, 1.0), (100.0, 1.0), (0.5, 0.001)]:
        grads = {"a": torch.randn(10, 30) * scale, "b": torch.randn(17) * scale, "c": torch.randn(2, 3) * scale}
        params = {n: torch.nn.Parameter(torch.zeros_like(g)) for n, g in grads.items()}
        for n, p in params.items():
            p.grad = grads[n].clone()
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
        cases.append({
            "max_norm": max_norm,
            "shapes": {n: list(g.shape) for n, g in grads.items()},
            "grads": {n: flat(g) for n, g in grads.items()},
            "norm": float(norm),
            "clipped": {n: flat(p.grad) for n, p in params.items()},
        })
    return {"torch": torch.__version__, "cases": cases}


os.makedirs(OUT, exist_ok=True)
for name, fn in [("adamw", adamw_fixture), ("sgd", sgd_fixture), ("clip", clip_fixture)]:
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(fn(), f, separators=(",", ":"))
        f.write("\n")
