#!/usr/bin/env python3
"""PyTorch-eager baseline for `ft4j bench --model-config`: the same Llama-family LoRA step, measured the same way.

A model of the architecture and shape a Hugging Face config.json describes (llama, mistral, qwen2, qwen3:
RMSNorm, rotary embeddings, grouped-query attention, SwiGLU MLP, tied or separate LM head, qwen2's q/k/v
biases, qwen3's per-head q/k RMSNorm), random weights (normal(0, 0.02), zero biases, norms = 1), LoRA on
every linear layer of the decoder (q, k, v, o, gate, up, down; PEFT's init: A Kaiming-uniform, B zero, scale
alpha / r, dropout 0), the base frozen, AdamW over the adapters, fp32 on 2 threads, random token batches, the
LM head applied to every position but the last, warm-up steps excluded from the timing, optionally
torch.utils.checkpoint around every decoder layer (non-reentrant), then the peak RSS and the fp32 matmul peak
in the same process.

Plain PyTorch only (no transformers, no peft). Install and run (see bench/README.md):
    apt-get install -y python3-torch libopenblas0-openmp
    /usr/bin/python3 bench/pytorch_llama_baseline.py --model-config bench/configs/qwen2.5-0.5b.json --json

FLOPs of one step: the model-FLOP count of `ft4j bench --model-config` (matmuls only, no recomputation):
per token 4*P_frozen_linear + 6*P_lora + 4*V*H (frozen head) + 12*T*heads*head_dim per layer.
"""

import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint

from pytorch_baseline import blas_core, check_matmul, matmul_gflops


def peak_rss_mb():
    """The process's resident-set high-water mark (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class RmsNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size), requires_grad=False)
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LoraLinear(nn.Module):
    """A frozen linear layer (weight [out, in], optional bias) with PEFT's LoRA beside it."""

    def __init__(self, n_in, n_out, bias, rank, alpha):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in).normal_(0.0, 0.02), requires_grad=False)
        self.bias = nn.Parameter(torch.zeros(n_out), requires_grad=False) if bias else None
        self.rank = rank
        if rank > 0:
            self.lora_A = nn.Parameter(torch.empty(rank, n_in))
            self.lora_B = nn.Parameter(torch.zeros(n_out, rank))
            nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
            self.scaling = alpha / rank

    def forward(self, x):
        y = F.linear(x, self.weight, self.bias)
        if self.rank > 0:
            y = y + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling
        return y


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Layer(nn.Module):
    def __init__(self, c, rank, alpha):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.heads, self.kv = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
        self.hd = c.get("head_dim") or h // self.heads
        eps = c.get("rms_norm_eps", 1e-6)
        qkv_bias = c["model_type"] == "qwen2" or bool(c.get("attention_bias", False))
        self.input_layernorm = RmsNorm(h, eps)
        self.q_proj = LoraLinear(h, self.heads * self.hd, qkv_bias, rank, alpha)
        self.k_proj = LoraLinear(h, self.kv * self.hd, qkv_bias, rank, alpha)
        self.v_proj = LoraLinear(h, self.kv * self.hd, qkv_bias, rank, alpha)
        self.o_proj = LoraLinear(self.heads * self.hd, h, False, rank, alpha)
        self.qk_norm = c["model_type"] == "qwen3"
        if self.qk_norm:
            self.q_norm = RmsNorm(self.hd, eps)
            self.k_norm = RmsNorm(self.hd, eps)
        self.post_attention_layernorm = RmsNorm(h, eps)
        self.gate_proj = LoraLinear(h, i, False, rank, alpha)
        self.up_proj = LoraLinear(h, i, False, rank, alpha)
        self.down_proj = LoraLinear(i, h, False, rank, alpha)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        y = self.input_layernorm(x)
        q = self.q_proj(y).view(b, t, self.heads, self.hd)
        k = self.k_proj(y).view(b, t, self.kv, self.hd)
        v = self.v_proj(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        if self.qk_norm:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)  # [b, heads, t, hd]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        groups = self.heads // self.kv
        if groups > 1:
            k = k.repeat_interleave(groups, dim=1)
            v = v.repeat_interleave(groups, dim=1)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.hd) + mask  # [b, heads, t, t]
        a = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, t, self.heads * self.hd)
        x = x + self.o_proj(a)
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class Model(nn.Module):
    def __init__(self, c, rank, alpha, checkpointing):
        super().__init__()
        self.c = c
        self.embed = nn.Parameter(torch.empty(c["vocab_size"], c["hidden_size"]).normal_(0.0, 0.02),
                                  requires_grad=False)
        self.layers = nn.ModuleList(Layer(c, rank, alpha) for _ in range(c["num_hidden_layers"]))
        self.norm = RmsNorm(c["hidden_size"], c.get("rms_norm_eps", 1e-6))
        self.tied = c.get("tie_word_embeddings", False)
        if not self.tied:
            self.lm_head = nn.Parameter(torch.empty(c["vocab_size"], c["hidden_size"]).normal_(0.0, 0.02),
                                        requires_grad=False)
        self.checkpointing = checkpointing

    def rope(self, t):
        hd = self.layers[0].hd
        theta = self.c.get("rope_theta", 10000.0)
        inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        freqs = torch.outer(torch.arange(t, dtype=torch.float32), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()

    def forward(self, ids):
        b, t = ids.shape
        cos, sin = self.rope(t)
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.embed[ids]
        for layer in self.layers:
            if self.checkpointing:
                x = torch.utils.checkpoint.checkpoint(layer, x, cos, sin, mask, use_reentrant=False)
            else:
                x = layer(x, cos, sin, mask)
        x = self.norm(x)[:, :-1]
        return x @ (self.embed if self.tied else self.lm_head).t()


def step_flops(model, c, seq, batch):
    frozen = sum(m.weight.numel() for m in model.modules() if isinstance(m, LoraLinear))
    lora = sum(p.numel() for p in model.parameters() if p.requires_grad)
    hd = model.layers[0].hd
    per_token = (4 * frozen + 6 * lora + 4 * c["vocab_size"] * c["hidden_size"]
                 + 12 * seq * c["num_attention_heads"] * hd * c["num_hidden_layers"])
    return float(batch * seq * per_token)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-config", required=True)
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--alpha", type=float, default=32.0)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()

    with open(args.model_config) as f:
        c = json.load(f)
    if c.get("model_type") not in ("llama", "mistral", "qwen2", "qwen3"):
        raise SystemExit(f"{args.model_config}: model_type {c.get('model_type')!r} is not a Llama-family model")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    check_matmul()
    start = time.perf_counter()
    with torch.no_grad():
        model = Model(c, args.rank, args.alpha, args.gradient_checkpointing)
    load_seconds = time.perf_counter() - start
    load_peak = peak_rss_mb()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    model.train()

    generator = torch.Generator().manual_seed(args.seed)
    times, losses = [], []
    vocab = c["vocab_size"]
    for step in range(args.warmup + args.steps):
        ids = torch.randint(0, vocab, (args.batch, args.seq), generator=generator)
        start = time.perf_counter()
        logits = model(ids)
        loss = F.cross_entropy(logits.reshape(-1, vocab), ids[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        del logits, loss
        if step >= args.warmup:
            times.append(time.perf_counter() - start)

    step_seconds = sum(times) / len(times)
    flops = step_flops(model, c, args.seq, args.batch)
    train_peak = peak_rss_mb()
    peak = matmul_gflops()
    achieved = flops / step_seconds / 1e9
    result = {
        "engine": "pytorch-eager " + torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_core(),
        "model_config": args.model_config,
        "shape": {"model_type": c["model_type"], "layers": c["num_hidden_layers"], "hidden": c["hidden_size"],
                  "heads": c["num_attention_heads"], "kv_heads": c.get("num_key_value_heads"),
                  "intermediate": c["intermediate_size"], "vocab": vocab, "seq": args.seq, "batch": args.batch,
                  "parameters": sum(p.numel() for p in model.parameters() if not p.requires_grad)},
        "method": "lora", "rank": args.rank, "alpha": args.alpha,
        "gradient_checkpointing": args.gradient_checkpointing,
        "trainable_parameters": sum(p.numel() for p in trainable),
        "steps": args.steps, "warmup": args.warmup,
        "step_ms": step_seconds * 1000.0,
        "tokens_per_second": args.batch * args.seq / step_seconds,
        "flops_per_step": flops, "achieved_gflops": achieved, "matmul_gflops": peak, "mfu": achieved / peak,
        "first_loss": losses[0], "last_loss": losses[-1],
        "load_seconds": load_seconds, "load_peak_rss_mb": load_peak, "peak_rss_mb": train_peak,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"pytorch-eager {torch.__version__}, {result['threads']} threads, fp32, {result['blas']}")
    print(f"model: {args.model_config} ({c['model_type']}), {result['shape']['parameters']:,} parameters, "
          f"seq={args.seq} batch={args.batch}, LoRA r={args.rank} alpha={args.alpha:g} on every linear, "
          f"{result['trainable_parameters']:,} trainable, checkpointing {'on' if args.gradient_checkpointing else 'off'}")
    print(f"step: {result['step_ms']:.1f} ms (mean of {args.steps} after {args.warmup} warm-up), "
          f"{result['tokens_per_second']:.1f} tokens/s, loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    print(f"achieved {achieved:.1f} GFLOP/s, matmul peak {peak:.1f} GFLOP/s, MFU {100 * result['mfu']:.1f}%")
    print(f"memory: peak RSS {train_peak:.0f} MB (after building the model: {load_peak:.0f} MB)")


if __name__ == "__main__":
    main()
