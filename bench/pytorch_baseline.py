#!/usr/bin/env python3
"""PyTorch-eager baseline for `ft4j bench`: the same step, measured the same way.

A GPT-2-shaped model with random weights (HF init: normal(0, 0.02), zero biases, LayerNorm = 1, LM head
tied to the token embedding), LoRA on every attention c_attn (q, k and v in one fused projection, PEFT's
placement for GPT-2: A [r, hidden] Kaiming-uniform, B [3*hidden, r] zero, scale alpha / r), the base
frozen, AdamW over the adapter parameters only, fp32 on 2 threads, random token batches, the LM head
applied to every position but the last (it has no label), warm-up steps excluded from the timing, and
the fp32 matmul peak measured in the same process.

Plain PyTorch only (no transformers, no peft). Install and run (see bench/README.md):
    apt-get install -y python3-torch libopenblas0-openmp
    /usr/bin/python3 bench/pytorch_baseline.py --json

FLOPs of one step (frozen-base LoRA; matmuls only, 2 FLOPs per multiply-add; norms, softmax, GELU and
the optimizer are not counted), with B batch, T seq, L layers, d hidden, V vocab, r rank:
    forward   F = B*T*L*(24*d^2 + 4*T*d + 8*d*r) + 2*B*(T-1)*d*V
    backward  frozen weights need only activation gradients: the same FLOPs as the forward for every
              weight matmul, plus a second gradient for the two attention matmuls (scores Q.K^T and
              P.V have no weight: both operands need gradients), plus the LoRA weight gradients
    total     = 2*F + B*T*L*4*T*d + B*T*L*8*d*r
              = B*T*L*(48*d^2 + 12*T*d + 24*d*r) + 4*B*(T-1)*d*V
Attention is counted over the full T x T score matrix (what an unfused causal implementation computes).
"""

import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def step_flops(batch, seq, layers, hidden, vocab, rank):
    """FLOPs of one frozen-base LoRA training step; the formula in the module docstring."""
    per_token_layer = 48 * hidden * hidden + 12 * seq * hidden + 24 * hidden * rank
    return batch * seq * layers * per_token_layer + 4 * batch * (seq - 1) * hidden * vocab


def gelu_new(x):
    # GPT-2's activation: the tanh approximation of GELU.
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight stored [in, out]."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out).normal_(0.0, 0.02))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


class LoraConv1D(nn.Module):
    """PEFT's LoRA around a Conv1D (fan_in_fan_out): base(x) + (x A^T B^T) * alpha / r, dropout 0."""

    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        n_in, n_out = base.weight.shape
        self.lora_A = nn.Parameter(torch.empty(rank, n_in))
        self.lora_B = nn.Parameter(torch.zeros(n_out, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # PEFT's init_lora_weights=True
        self.scaling = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


class Block(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(hidden, eps=1e-5)
        self.c_attn = Conv1D(hidden, 3 * hidden)
        self.attn_proj = Conv1D(hidden, hidden)
        self.ln_2 = nn.LayerNorm(hidden, eps=1e-5)
        self.c_fc = Conv1D(hidden, 4 * hidden)
        self.mlp_proj = Conv1D(4 * hidden, hidden)

    def forward(self, x, mask):
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q = q.view(b, t, self.heads, hd).transpose(1, 2)  # [b, heads, t, hd]
        k = k.view(b, t, self.heads, hd).transpose(1, 2)
        v = v.view(b, t, self.heads, hd).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd) + mask  # [b, heads, t, t]
        y = scores.softmax(dim=-1) @ v  # [b, heads, t, hd]
        x = x + self.attn_proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp_proj(gelu_new(self.c_fc(self.ln_2(x))))


class Gpt2(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, positions):
        super().__init__()
        self.wte = nn.Parameter(torch.empty(vocab, hidden).normal_(0.0, 0.02))
        self.wpe = nn.Parameter(torch.empty(positions, hidden).normal_(0.0, 0.02))
        self.h = nn.ModuleList(Block(hidden, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(hidden, eps=1e-5)

    def forward(self, ids):
        b, t = ids.shape
        mask = torch.full((t, t), float("-inf")).triu(1)  # additive causal mask
        x = self.wte[ids] + self.wpe[:t]
        for block in self.h:
            x = block(x, mask)
        x = self.ln_f(x)[:, :-1]  # no LM head on the last position: it has no label
        return x @ self.wte.t()  # tied LM head, [b, t-1, vocab]


def blas_core():
    """OpenBLAS's kernel name (e.g. Haswell, Cooperlake) when torch runs on OpenBLAS, else "unknown"."""
    import ctypes
    with open("/proc/self/maps") as maps:
        libraries = sorted({line.split()[-1] for line in maps if "openblas" in line and ".so" in line})
    for library in libraries:
        try:
            corename = ctypes.CDLL(library).openblas_get_corename
        except (OSError, AttributeError):
            continue
        corename.restype = ctypes.c_char_p
        return "openblas " + corename().decode()
    return "unknown"


def check_matmul():
    """Fails loudly if the BLAS kernel computes wrong fp32 results (some OpenBLAS kernels do on some CPUs)."""
    a = torch.randn(256, 256, dtype=torch.float64)
    b = torch.randn(256, 256, dtype=torch.float64)
    error = ((a.float() @ b.float()).double() - a @ b).abs().max().item()
    if error > 1e-3:
        raise SystemExit(f"fp32 matmul is wrong on this machine (max error {error:.3g}); "
                         "check OPENBLAS_CORETYPE, see bench/README.md")


def matmul_gflops(size=2048, repeats=5):
    """Best-of-`repeats` fp32 matmul throughput of size^3, after one untimed run."""
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size ** 3 / best / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--vocab", type=int, default=8192)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--alpha", type=float, default=8.0)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    check_matmul()
    model = Gpt2(args.vocab, args.hidden, args.layers, args.heads, args.seq)
    for p in model.parameters():
        p.requires_grad_(False)
    for block in model.h:
        block.c_attn = LoraConv1D(block.c_attn, args.rank, args.alpha)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    model.train()

    generator = torch.Generator().manual_seed(args.seed)
    times = []
    losses = []
    for step in range(args.warmup + args.steps):
        ids = torch.randint(0, args.vocab, (args.batch, args.seq), generator=generator)
        start = time.perf_counter()
        logits = model(ids)
        loss = F.cross_entropy(logits.reshape(-1, args.vocab), ids[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step >= args.warmup:
            times.append(time.perf_counter() - start)

    step_seconds = sum(times) / len(times)
    flops = step_flops(args.batch, args.seq, args.layers, args.hidden, args.vocab, args.rank)
    peak = matmul_gflops()
    achieved = flops / step_seconds / 1e9
    result = {
        "engine": "pytorch-eager " + torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_core(),
        "shape": {"layers": args.layers, "hidden": args.hidden, "heads": args.heads, "vocab": args.vocab,
                  "seq": args.seq, "batch": args.batch, "rank": args.rank},
        "steps": args.steps,
        "warmup": args.warmup,
        "step_ms": step_seconds * 1000.0,
        "tokens_per_second": args.batch * args.seq / step_seconds,
        "flops_per_step": flops,
        "achieved_gflops": achieved,
        "matmul_gflops": peak,
        "mfu": achieved / peak,
        "trainable_parameters": sum(p.numel() for p in trainable),
        "first_loss": losses[0],
        "last_loss": losses[-1],
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"pytorch-eager {torch.__version__}, {result['threads']} threads, fp32, {result['blas']}")
    print(f"shape: layers={args.layers} hidden={args.hidden} heads={args.heads} vocab={args.vocab} "
          f"seq={args.seq} batch={args.batch}, LoRA r={args.rank} on c_attn, "
          f"{result['trainable_parameters']} trainable parameters")
    print(f"step: {result['step_ms']:.1f} ms (mean of {args.steps} after {args.warmup} warm-up), "
          f"{result['tokens_per_second']:.0f} tokens/s, loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    print(f"FLOPs/step: {flops / 1e9:.2f} GFLOP = B*T*L*(48d^2 + 12Td + 24dr) + 4B(T-1)dV "
          f"(frozen-base LoRA: 2x forward + attention backward + adapter work)")
    print(f"achieved {achieved:.1f} GFLOP/s, matmul peak {peak:.1f} GFLOP/s (2048^3 fp32, best of 5), "
          f"MFU {100 * result['mfu']:.1f}%")


if __name__ == "__main__":
    main()
