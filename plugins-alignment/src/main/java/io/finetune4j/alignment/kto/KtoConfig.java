package io.finetune4j.alignment.kto;

/**
 * Settings of the {@code kto} objective (TRL v1.9's {@code KTOConfig} names and defaults,
 * {@code trl/trainer/kto_config.py}); pipeline files write the keys in snake_case.
 *
 * @param beta β of the implicit reward {@code β(log π − log π_ref)} (TRL default 0.1)
 * @param lossType {@code kto} (Ethayarajh et al. 2024) or {@code apo_zero_unpaired} (D'Oosterlinck et al.
 *     2024, no KL estimate)
 * @param desirableWeight λ_D, the weight of each desirable example's loss (TRL default 1.0)
 * @param undesirableWeight λ_U, the weight of each undesirable example's loss (TRL default 1.0)
 * @param reference {@code adapters-disabled} or a checkpoint directory
 * @param disableDropout run the policy's forward without dropout (TRL's {@code disable_dropout=True})
 */
public record KtoConfig(double beta, String lossType, double desirableWeight, double undesirableWeight,
                        String reference, boolean disableDropout) {}
