/**
 * The {@code dylora} method: Valipour, Rezagholizadeh, Kobyzev and Ghodsi, "DyLoRA: Parameter-Efficient Tuning of
 * Pre-trained Models using Dynamic Search-Free Low-Rank Adaptation" (EACL 2023, arXiv:2210.07558), following the
 * reference implementation {@code huawei-noah/KD-NLP} {@code DyLoRA/loralib/layers.py} (class {@code dynamic},
 * {@code Linear.set_rank(rank, frozen)}).
 *
 * <p>Each optimizer step draws a rank {@code b} uniformly from {@code 1..r} (the paper's {@code p_B}; the reference
 * draws {@code randint(0, r)} as a 0-based index) for every adapted layer; the forward uses {@code A[:b]},
 * {@code B[:, :b]} scaled by {@code lora_alpha / b} (the reference's {@code alpha / r · sqrt(r / b)²}). In the
 * default frozen mode (paper eq. 6-7, {@code frozen=True}) only row {@code b} of {@code A} and column {@code b} of
 * {@code B} get gradient; {@code frozen: false} trains all rows up to {@code b}. The optimizer's own state (AdamW
 * momentum and weight decay) still moves rows that got no gradient this step, as in the reference's AdamW.
 * Outside training, and when merging, the adapter runs at {@code rank} (default {@code r}). Adapters are written in
 * PEFT's LoRA layout at rank {@code r} with a {@code dylora} note, and optionally at smaller ranks:
 *
 * <pre>{@code
 * method: {id: dylora, r: 8, lora_alpha: 16, target_modules: all-linear, rank: 4, save_ranks: [2, 4]}
 * }</pre>
 */
package io.finetune4j.peft.dylora;
