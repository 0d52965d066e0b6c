package io.finetune4j.eval.preference;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.model.ModelSource;

/** Creates the {@code win-rate} evaluator: the evaluated model against a baseline, judged by a reward model. */
public final class WinRateEvaluatorProvider implements EvaluatorProvider<WinRateConfig> {
    static final String ID = "win-rate";

    @Override public String id() { return ID; }

    @Override public String description() { return "Win rate against a baseline model, judged by a reward model"; }

    /** {@code reward_model} has no default: an empty value is reported when the data is checked. */
    @Override public WinRateConfig defaults() { return WinRateConfig.defaults(); }

    @Override
    public void validate(WinRateConfig config, ConfigProblems problems) {
        problems.check(config.rewardModel() != null, "reward_model", "must be a path");
        problems.check(config.baseline() != null && !config.baseline().isBlank(), "baseline",
                "must be '%s' or a checkpoint directory", ModelSource.ADAPTERS_DISABLED);
        problems.check(config.batchSize() > 0, "batch_size", "must be > 0, was %d", config.batchSize());
        config.generation().validate(problems);
    }

    @Override
    public Evaluator create(WinRateConfig config) {
        return new WinRateEvaluator(config);
    }
}
