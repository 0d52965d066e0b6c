package io.finetune4j.api.reward;

import io.finetune4j.api.Stable;
import java.util.List;

/**
 * Scores completions for reinforcement learning (PPO, GRPO) and for evaluation: a trained reward model,
 * or a rule such as "the answer equals the reference". Higher is better. Called without a gradient.
 */
@Stable
public interface RewardFunction extends AutoCloseable {
    /** One finite reward per input, in input order. */
    double[] score(List<RewardInput> inputs);

    /** Releases what the function loaded (a reward model's weights). */
    @Override
    default void close() {}
}
