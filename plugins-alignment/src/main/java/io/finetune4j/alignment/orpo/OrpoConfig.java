package io.finetune4j.alignment.orpo;

/**
 * Settings of the {@code orpo} objective (TRL's {@code ORPOConfig} names); pipeline files write the keys in
 * snake_case.
 *
 * @param beta weight λ of the odds-ratio term against the chosen completions' NLL (TRL default 0.1)
 */
public record OrpoConfig(double beta) {}
