package io.finetune4j.alignment.orpo;

/**
 * Settings of the {@code orpo} objective (TRL's {@code ORPOConfig} names, TRL v1.9
 * {@code trl/experimental/orpo/orpo_config.py}); pipeline files write the keys in snake_case.
 *
 * @param beta weight λ of the odds-ratio term against the chosen sequences' NLL (TRL default 0.1)
 * @param disableDropout run the policy's forward without dropout (model and adapter dropout), as TRL's
 *     {@code disable_dropout=True}
 */
public record OrpoConfig(double beta, boolean disableDropout) {}
