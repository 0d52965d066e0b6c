package io.finetune4j.eval.preference;

/**
 * Settings of the {@code reward-accuracy} evaluator; pipeline files write the keys in snake_case.
 *
 * @param rewardModel the reward model: a {@code reward} stage's output ({@code stage:NAME}) or a directory
 *     with {@code config.json} (or {@code model/}) and {@code reward_head.safetensors}; required
 * @param batchSize sequences per reward-model forward
 */
public record RewardAccuracyConfig(String rewardModel, int batchSize) {}
