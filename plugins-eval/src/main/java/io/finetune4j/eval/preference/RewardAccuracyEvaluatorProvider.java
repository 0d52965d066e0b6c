package io.finetune4j.eval.preference;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;

/** Creates the {@code reward-accuracy} evaluator: how often a reward model ranks chosen above rejected. */
public final class RewardAccuracyEvaluatorProvider implements EvaluatorProvider<RewardAccuracyConfig> {
    static final String ID = "reward-accuracy";

    @Override public String id() { return ID; }

    @Override public String description() { return "Reward model accuracy and margin on held-out preference pairs"; }

    /** {@code reward_model} has no default: an empty value is reported when the data is checked. */
    @Override public RewardAccuracyConfig defaults() { return new RewardAccuracyConfig("", 8); }

    @Override
    public void validate(RewardAccuracyConfig config, ConfigProblems problems) {
        problems.check(config.rewardModel() != null, "reward_model", "must be a path");
        problems.check(config.batchSize() > 0, "batch_size", "must be > 0, was %d", config.batchSize());
    }

    @Override
    public Evaluator create(RewardAccuracyConfig config) {
        return new RewardAccuracyEvaluator(config);
    }
}
