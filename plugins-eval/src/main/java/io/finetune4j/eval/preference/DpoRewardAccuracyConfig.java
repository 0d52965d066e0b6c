package io.finetune4j.eval.preference;

/**
 * Settings of the {@code dpo-reward-accuracy} evaluator; pipeline files write the keys in snake_case.
 *
 * @param beta DPO's β: the implicit reward is β·(log π(y|x) − log π_ref(y|x))
 * @param reference {@code adapters-disabled} (the evaluated model without its adapters) or a checkpoint
 *     directory ({@code stage:NAME} or a path) of the reference model
 * @param batchSize sequences per forward
 */
public record DpoRewardAccuracyConfig(double beta, String reference, int batchSize) {}
