package io.finetune4j.alignment.dpo;

/**
 * Settings of the {@code dpo} objective (TRL's {@code DPOConfig} names); pipeline files write the keys in
 * snake_case.
 *
 * @param beta the KL-penalty strength β (TRL default 0.1)
 * @param lossType {@code sigmoid} (DPO), {@code ipo}, {@code hinge} (SLiC) or {@code robust}
 * @param labelSmoothing ε, the assumed probability that a preference label is flipped (sigmoid and robust),
 *     in [0, 0.5)
 * @param reference {@code adapters-disabled}: the policy itself with its adapters bypassed (no second copy;
 *     after an SFT stage merged into {@code base: previous}, this is the SFT model), or the path of a
 *     checkpoint directory loaded as a separate frozen model
 * @param precomputeRefLogProbs score every pair with the reference once, when the objective is created, and
 *     keep plain doubles (TRL's {@code precompute_ref_log_probs}); needed when the method trains the base
 *     weights themselves, as the policy's initial state is then the reference
 */
public record DpoConfig(double beta, String lossType, double labelSmoothing, String reference,
                        boolean precomputeRefLogProbs) {}
