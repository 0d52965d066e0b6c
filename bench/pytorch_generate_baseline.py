#!/usr/bin/env python3
"""PyTorch-eager baseline for `ft4j bench-generate`: greedy generation with a KV cache, timed the same way.

The GPT-2-shaped model of bench/pytorch_baseline.py (imported from it: random weights, HF init, tied LM
head), eval mode, torch.no_grad(), fp32 on 2 threads. Each run: one forward over a fixed random prompt
(the prefill), then one token per step feeding only the new token, with past keys and values
concatenated per layer (the KV cache) and the LM head on the last position only; greedy (argmax), no
EOS, exactly --new-tokens new tokens. A run's time covers prefill and decode; warm-up runs are left out.

Plain PyTorch only. Run (see bench/README.md):
    /usr/bin/python3 bench/pytorch_generate_baseline.py --json
"""

import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_baseline import Gpt2, blas_core, check_matmul, gelu_new  # noqa: E402


def block_step(block, x, past):
    """One GPT-2 block over the new positions x [b, t, d], attending to past (k, v) [b, heads, p, hd] or None."""
    b, t, d = x.shape
    hd = d // block.heads
    q, k, v = block.c_attn(block.ln_1(x)).split(d, dim=2)
    q = q.view(b, t, block.heads, hd).transpose(1, 2)
    k = k.view(b, t, block.heads, hd).transpose(1, 2)
    v = v.view(b, t, block.heads, hd).transpose(1, 2)
    if past is not None:
        k = torch.cat([past[0], k], dim=2)
        v = torch.cat([past[1], v], dim=2)
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd)  # [b, heads, t, p + t]
    if t > 1:
        # Causal over the new positions: row i sees every past position and new positions <= i.
        p = k.shape[2] - t
        scores = scores + torch.full((t, t + p), float("-inf")).triu(p + 1)
    y = scores.softmax(dim=-1) @ v
    x = x + block.attn_proj(y.transpose(1, 2).reshape(b, t, d))
    return x + block.mlp_proj(gelu_new(block.c_fc(block.ln_2(x)))), (k, v)


def forward_last(model, ids, start, cache):
    """Logits of the last position [b, vocab] for ids [b, t] at positions start.., and the new cache."""
    t = ids.shape[1]
    x = model.wte[ids] + model.wpe[start:start + t]
    new_cache = []
    for layer, block in enumerate(model.h):
        x, kv = block_step(block, x, cache[layer] if cache else None)
        new_cache.append(kv)
    return model.ln_f(x[:, -1]) @ model.wte.t(), new_cache


def generate(model, prompt, new_tokens):
    """Greedy decoding of exactly new_tokens tokens after prompt [1, t]."""
    out = []
    logits, cache = forward_last(model, prompt, 0, None)
    position = prompt.shape[1]
    while True:
        token = logits.argmax(dim=-1)  # [1]
        out.append(token.item())
        if len(out) == new_tokens:
            return out
        logits, cache = forward_last(model, token.view(1, 1), position, cache)
        position += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--vocab", type=int, default=8192)
    parser.add_argument("--prompt-length", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    check_matmul()
    model = Gpt2(args.vocab, args.hidden, args.layers, args.heads, args.prompt_length + args.new_tokens)
    model.eval()
    prompt = torch.randint(0, args.vocab, (1, args.prompt_length),
                           generator=torch.Generator().manual_seed(args.seed))

    times = []
    with torch.no_grad():
        for run in range(args.warmup + args.runs):
            start = time.perf_counter()
            tokens = generate(model, prompt, args.new_tokens)
            elapsed = time.perf_counter() - start
            assert len(tokens) == args.new_tokens
            if run >= args.warmup:
                times.append(elapsed)

    mean = sum(times) / len(times)
    result = {
        "engine": "pytorch-eager " + torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_core(),
        "new_tokens_per_second": args.new_tokens / mean,
        "ms_per_token": mean * 1000.0 / args.new_tokens,
        "prompt_length": args.prompt_length,
        "new_tokens": args.new_tokens,
        "runs": args.runs,
        "warmup": args.warmup,
        "run_seconds": times,
        "stop_reason": "length",
        "shape": {"layers": args.layers, "hidden": args.hidden, "heads": args.heads, "vocab": args.vocab},
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"pytorch-eager {torch.__version__}, {result['threads']} threads, fp32, {result['blas']}, "
          f"greedy with KV cache")
    print(f"shape: layers={args.layers} hidden={args.hidden} heads={args.heads} vocab={args.vocab}, "
          f"prompt {args.prompt_length} tokens, {args.new_tokens} new tokens")
    print(f"{result['new_tokens_per_second']:.1f} new tokens/s, {result['ms_per_token']:.2f} ms/token "
          f"(prefill + decode, mean of {args.runs} runs after {args.warmup} warm-up)")


if __name__ == "__main__":
    main()
