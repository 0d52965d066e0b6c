package io.finetune4j.bench;

/**
 * The model and batch shape of {@code ft4j bench}, and the FLOP count of one training step.
 *
 * <p>The step is LoRA on every GPT-2 {@code c_attn} (q, k and v in one fused {@code [d, 3d]} projection:
 * A is {@code [r, d]}, B is {@code [3d, r]}) with every base weight frozen, and the LM head applied to all
 * but the last position (which has no label). Counting matmuls only, 2 FLOPs per multiply-add, with B
 * batch, T seq, L layers, d hidden, V vocab and r rank:
 * <pre>
 * forward   F = B·T·L·(24·d² + 4·T·d + 8·d·r) + 2·B·(T−1)·d·V
 *              (per token and layer: c_attn 6d², attention c_proj 2d², MLP 16d², scores Q·Kᵀ 2Td and
 *               P·V 2Td, adapter x·Aᵀ 2dr and ·Bᵀ 6dr)
 * backward  frozen weights need only the activation gradient, the same FLOPs as their forward; the two
 *           attention matmuls have no weight, so both operands need gradients (twice their forward);
 *           the adapter needs activation and weight gradients (twice its forward)
 *           = F + B·T·L·4·T·d + B·T·L·8·d·r
 * step      = 2·F + B·T·L·(4·T·d + 8·d·r)
 *           = B·T·L·(48·d² + 12·T·d + 24·d·r) + 4·B·(T−1)·d·V
 * </pre>
 * That is "2 × forward + attention backward + adapter work". Attention is counted over the full
 * {@code T × T} score matrix, as an unfused causal implementation computes it. Norms, softmax, GELU,
 * the loss and the optimizer are not counted. {@code bench/pytorch_baseline.py} uses the same formula.
 */
public record BenchShape(int layers, int hidden, int heads, int vocab, int seq, int batch, int rank) {

    /** FLOPs of one training step, the formula in the type's documentation. */
    public long stepFlops() {
        long b = batch;
        long t = seq;
        long d = hidden;
        long perTokenAndLayer = 48 * d * d + 12 * t * d + 24 * d * rank;
        return b * t * layers * perTokenAndLayer + 4 * b * (t - 1) * d * vocab;
    }

    /** Tokens fed to the model per step. */
    public long tokensPerStep() {
        return (long) batch * seq;
    }

    /** The formula, for the printed report. */
    public static String formula() {
        return "B*T*L*(48d^2 + 12Td + 24dr) + 4B(T-1)dV";
    }
}
