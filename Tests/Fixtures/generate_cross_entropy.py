"""Writes Tests/Fixtures/cross_entropy/ignore_index.json: PyTorch's F.cross_entropy with
ignore_index=-100 (mean over non-ignored targets) and its gradient, on a small seeded example.
Run with the reference environment: /tmp/ref/bin/python Tests/Fixtures/generate_cross_entropy.py"""
import json
import pathlib

import torch
import torch.nn.functional as F

torch.manual_seed(7)
N, V = 6, 5
logits = (torch.randn(N, V) * 2).requires_grad_(True)
targets = torch.tensor([1, -100, 3, 0, -100, 4])
loss = F.cross_entropy(logits, targets, ignore_index=-100)
loss.backward()

ignored = logits.detach().clone().requires_grad_(True)
all_ignored = F.cross_entropy(ignored, torch.full((N,), -100), ignore_index=-100)
all_ignored.backward()

out = {
    "rows": N,
    "vocab": V,
    "logits": logits.detach().flatten().tolist(),
    "targets": targets.tolist(),
    "loss": loss.item(),
    "grad": logits.grad.flatten().tolist(),
    "all_ignored_loss_is_nan": bool(torch.isnan(all_ignored).item()),
    "all_ignored_grad_is_zero": bool((ignored.grad == 0).all().item()),
    "torch_version": torch.__version__,
}
path = pathlib.Path(__file__).parent / "cross_entropy" / "ignore_index.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(path, out["loss"], out["all_ignored_loss_is_nan"], out["all_ignored_grad_is_zero"])
