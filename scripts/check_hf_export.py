#!/usr/bin/env python3
"""Checks that Hugging Face transformers loads a Finch checkpoint as it is and decodes it as Finch does.

For each prompt, `finch generate --json` gives the prompt's ids and Finch's greedy continuation; the script
loads the same directory with `GPT2LMHeadModel.from_pretrained`, decodes greedily from the same ids and
compares the new ids token for token. It also reports how far apart the two models' next-token logits are
(Finch's are not printed by the CLI, so the comparison is of transformers' logits at Finch's chosen token
against its own maximum: 0 where both pick the same token).

Needs a Python with torch + transformers (see the README's "Tests and fixtures"), for example:
  .build/release/finch init-model --size gpt2-small --seed 123 --out /tmp/small
  /tmp/ref/bin/python scripts/check_hf_export.py --model /tmp/small \
      -- --vocab ../shared/data/gpt2/vocab.bpe --encoder ../shared/data/gpt2/encoder.json
Arguments after `--` go to `finch generate` (how to tokenize). Exit code 0 when every prompt matches.
"""
import argparse, json, os, subprocess, sys

PROMPTS = [
    "Below is an instruction that describes a task.",
    "### Instruction:\nConvert 45 kilometers to meters.",
    "The capital of France is",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="a directory Finch wrote (init-model, a finetune stage's output)")
    ap.add_argument("--finch", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "finch"))
    ap.add_argument("--new-tokens", type=int, default=24)
    ap.add_argument("finch_args", nargs=argparse.REMAINDER, help="-- then finch generate's tokenizer options")
    a = ap.parse_args()
    extra = a.finch_args[1:] if a.finch_args[:1] == ["--"] else a.finch_args

    import torch
    from transformers import GPT2LMHeadModel
    model = GPT2LMHeadModel.from_pretrained(a.model).eval()
    failures = 0
    for prompt in PROMPTS:
        out = subprocess.run([a.finch, "generate", "--model", a.model, "--max-new-tokens", str(a.new_tokens),
                              "--json", *extra, prompt], check=True, capture_output=True, text=True).stdout
        finch = json.loads(out.strip().splitlines()[0])
        ids = torch.tensor([finch["prompt_ids"]])
        with torch.no_grad():
            hf = model.generate(ids, max_new_tokens=len(finch["new_ids"]), do_sample=False,
                                pad_token_id=50256, eos_token_id=None)[0, ids.shape[1]:].tolist()
            full = torch.tensor([finch["prompt_ids"] + finch["new_ids"]])
            logits = model(full).logits[0, ids.shape[1] - 1:-1]
        gaps = [float(row.max() - row[t]) for row, t in zip(logits, finch["new_ids"])]
        same = hf == finch["new_ids"]
        failures += not same
        print(json.dumps({"prompt": prompt, "match": same, "tokens": len(hf),
                          "max_logit_gap_at_finch_choice": max(gaps, default=0.0)}))
    print(f"check_hf_export: {len(PROMPTS) - failures} of {len(PROMPTS)} prompts decode the same in transformers")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
