package io.finetune4j.alignment.grpo;

/**
 * Settings of the {@code grpo} objective; pipeline files write them in snake_case. Names and defaults follow
 * TRL v1.9's {@code GRPOConfig} ({@code trl/trainer/grpo_config.py}).
 *
 * @param numGenerations completions sampled per prompt (the group), at least 2
 * @param maxCompletionLength at most this many new tokens per completion; also {@code dr_grpo}'s constant
 *     denominator
 * @param temperature sampling temperature; log-probs are those of the tempered distribution
 * @param beta weight of the k3 KL penalty to the reference; 0 (TRL v1.9's default) loads no reference at all
 * @param epsilon ε of the clipped importance ratio's lower bound {@code 1 − ε} (and upper bound unless
 *     {@code epsilon_high} is set)
 * @param epsilonHigh the upper bound's ε ({@code 1 + epsilon_high}, DAPO's clip-higher); null = {@code epsilon}
 * @param numIterations passes over each batch of completions (TRL's μ)
 * @param lossType {@code dapo}, {@code grpo}, {@code bnpo} or {@code dr_grpo} (see {@link GrpoLossType})
 * @param scaleRewards {@code group} (divide by the group's std + 1e-4), {@code batch} (by the whole generation
 *     batch's std + 1e-4) or {@code none}
 * @param importanceSamplingLevel {@code token} (GRPO's per-token ratio) or {@code sequence} (GSPO: one ratio
 *     per completion, {@code exp(mean_t(logp − old))})
 * @param maskTruncatedCompletions completions that hit {@code max_completion_length} without EOS count in no
 *     loss term (DAPO's overlong filtering)
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
        Double epsilonHigh,
        int numIterations,
        String lossType,
        String scaleRewards,
        String importanceSamplingLevel,
        boolean maskTruncatedCompletions,
        int generationBatchSize,
        String reference) {

    /** The upper clip bound's ε. */
    public double upperEpsilon() {
        return epsilonHigh == null ? epsilon : epsilonHigh;
    }
}
