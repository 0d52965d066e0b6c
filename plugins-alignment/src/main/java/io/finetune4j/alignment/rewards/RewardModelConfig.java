package io.finetune4j.alignment.rewards;

/**
 * Settings of the {@code reward-model} reward function.
 *
 * @param path a {@code reward} stage's output directory ({@code stage:NAME}, or a path relative to the
 *     pipeline file); required
 * @param batchSize sequences per scoring forward
 */
public record RewardModelConfig(String path, int batchSize) {}
