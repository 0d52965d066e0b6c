package io.finetune4j.alignment.grpo;

/**
 * Settings of the {@code grpo} objective; pipeline files write them in snake_case. Names follow TRL's
 * {@code GRPOConfig} ({@code trl/trainer/grpo_config.py}).
 *
 * @param numGenerations completions sampled per prompt (the group), at least 2
 * @param maxCompletionLength at most this many new tokens per completion; also {@code dr_grpo}'s constant
 *     denominator
 * @param temperature sampling temperature; log-probs are those of the tempered distribution
 * @param beta weight of the k3 KL penalty to the reference; 0 skips the reference entirely
 * @param epsilon ε of the clipped importance ratio
 * @param numIterations passes over each batch of completions (TRL's μ)
 * @param lossType {@code grpo}, {@code bnpo} or {@code dr_grpo}
 * @param scaleRewards divide group-centred rewards by the group's standard deviation (+1e-4)
 * @param generationBatchSize completions per rollout, a multiple of {@code num_generations}; 0 = the
 *     micro-batch size rounded up to a multiple of {@code num_generations}
 * @param reference {@code adapters-disabled} or a checkpoint directory
 */
public record GrpoConfig(
        int numGenerations,
        int maxCompletionLength,
        double temperature,
        double beta,
        double epsilon,
        int numIterations,
        String lossType,
        boolean scaleRewards,
        int generationBatchSize,
        String reference) {}
