#!/usr/bin/env bash
# The real-shape comparison of docs/BENCHMARKS.md: `ft4j bench --model-config` and the PyTorch-eager baseline
# (bench/pytorch_llama_baseline.py) on the same config, seq, batch and LoRA (r 16, alpha 32, every linear layer),
# without and with gradient checkpointing, one JSON line each, ours and the baseline's alternating. Run it on an
# idle machine (nothing else using a core: libtorch's threads collapse otherwise).
#   bench/real-shapes.sh [CONFIG.json] [SEQ] [BATCH] [STEPS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="${1:-$root/bench/configs/qwen2.5-0.5b.json}"
seq="${2:-512}"
batch="${3:-2}"
steps="${4:-3}"
python="${PYTHON:-/usr/bin/python3}"
for checkpointing in "" "--gradient-checkpointing"; do
  "$root/ft4j" bench --model-config "$config" --seq "$seq" --batch "$batch" --steps "$steps" --warmup 1 \
      $checkpointing --json
  (cd "$root/bench" && "$python" pytorch_llama_baseline.py --model-config "$config" --seq "$seq" --batch "$batch" \
      --steps "$steps" --warmup 1 $checkpointing --json)
done
