/**
 * The {@code glora} method: Chavan, Liu, Gupta, Xing and Shen, "One-for-All: Generalized LoRA for
 * Parameter-Efficient Fine-tuning" (2023, arXiv:2306.07967), following the reference implementation
 * {@code Arnav0400/ViT-Slim} {@code GLoRA/layer.py} ({@code SuperScalableLinear}).
 *
 * <p>Each adapted linear layer computes {@code y = x · W'ᵀ + b'} with {@code W' = W0 + W0 ⊙ A + B} and
 * {@code b' = b0 + b0 ⊙ D + E + W0 · C} (paper eq. 10; the prompt term {@code W0 · C} is folded into the bias as in
 * the reference). Each support is {@code lora} (a rank-k product, {@code [out, in]} for A and B, {@code [in, 1]}
 * for C), {@code vector} ({@code [out, 1]} for A and B, {@code [in, 1]} for C, {@code [out]} for D and E),
 * {@code scalar} or {@code none}; D and E take no LoRA, as in the reference's search space.
 *
 * <p><b>The search, reduced.</b> The paper trains a super-network whose every forward samples one configuration
 * per layer ({@code random.choice(self.configs)}) and then picks per-layer supports by evolutionary search. This
 * method skips both: one fixed configuration applies to every layer and is trained directly. The default is the
 * largest sub-network of ViT-Slim's space at its default rank 4: {@code a: lora, b: lora, c: lora, d: vector,
 * e: vector}. Initialisation follows the reference: LoRA {@code Xd}, vectors and scalars zero, LoRA {@code Xu}
 * xavier-uniform, so training starts from the base model. Every support merges exactly into {@code W} and
 * {@code b}; a layer without a bias (Llama) can hold {@code W0 ⊙ A + B} only, so there C and E must be
 * {@code none} to merge.
 *
 * <pre>{@code
 * method: {id: glora, r: 4, a: lora, b: lora, c: none, d: none, e: none, target_modules: all-linear}
 * }</pre>
 */
package io.finetune4j.peft.glora;
