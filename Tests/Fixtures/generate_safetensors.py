"""A small safetensors file written by Python's `safetensors`, for Finch's reader tests.

Run with the reference environment:
    /tmp/ref/bin/python Tests/Fixtures/generate_safetensors.py
Writes Tests/Fixtures/safetensors/python.safetensors (F32, F16 and BF16 tensors with edge values and
__metadata__) and python.expected.json: for every tensor its dtype, shape and the float32 bit patterns
PyTorch gets when it widens the stored values (bit patterns so -0 compares exactly; PyTorch turns
every NaN into 0x7FFFFFFF, so the Swift test only checks NaN-ness there). Re-running may reorder the
__metadata__ keys in the header (the Python writer keeps them in a hash map); the content is the same.
"""
import json
import os

import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "safetensors")
torch.manual_seed(7)

edge = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.1e-5, 5.96e-8, 3.0e-7, float("inf"), float("-inf"), float("nan"), 1e-3]
tensors = {
    "f32.matrix": torch.randn(3, 4, dtype=torch.float32),
    "f32.scalar": torch.tensor(3.25, dtype=torch.float32),
    "f16.edge": torch.tensor(edge, dtype=torch.float16),
    "f16.random": torch.randn(2, 3, 5).to(torch.float16),
    "bf16.edge": torch.tensor(edge + [1e38, -3.0e-39], dtype=torch.bfloat16),
    "bf16.random": torch.randn(4, 6).to(torch.bfloat16),
    "f32.empty": torch.zeros(0, 3, dtype=torch.float32),
}
metadata = {"format": "pt", "note": "written by Python safetensors for Finch tests", "unicode": "größe ✓"}

os.makedirs(OUT, exist_ok=True)
save_file(tensors, os.path.join(OUT, "python.safetensors"), metadata=metadata)
expected = {
    "metadata": metadata,
    "tensors": {
        name: {
            "dtype": {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}[t.dtype],
            "shape": list(t.shape),
            "bits": [int(b) for b in t.float().reshape(-1).view(torch.int32).tolist()],
        }
        for name, t in tensors.items()
    },
}
with open(os.path.join(OUT, "python.expected.json"), "w") as f:
    json.dump(expected, f, indent=1, ensure_ascii=False)
    f.write("\n")
