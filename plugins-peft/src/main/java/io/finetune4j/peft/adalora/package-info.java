/**
 * The {@code adalora} method: AdaLoRA (Zhang et al., ICLR 2023) as Hugging Face PEFT's
 * {@code peft/tuners/adalora}: SVD-form adapters ({@link io.finetune4j.peft.adalora.SvdLinear}), importance-based
 * rank allocation ({@link io.finetune4j.peft.adalora.RankAllocator}) through the method's step hooks, the
 * orthogonality penalty as the method's regularisation loss, and PEFT's adapter files with {@code rank_pattern}.
 * A pipeline stage:
 * <pre>
 * method: {id: adalora, init_r: 12, target_r: 4, tinit: 50, tfinal: 100, delta_t: 10,
 *          total_step: 1000, lora_alpha: 32, target_modules: [q_proj, v_proj]}
 * </pre>
 * {@code total_step} is required and should equal the stage's number of optimizer steps.
 */
package io.finetune4j.peft.adalora;
