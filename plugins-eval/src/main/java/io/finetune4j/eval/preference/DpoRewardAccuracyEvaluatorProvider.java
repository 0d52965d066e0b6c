package io.finetune4j.eval.preference;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.model.ModelSource;

/** Creates the {@code dpo-reward-accuracy} evaluator: DPO's implicit rewards on held-out preference pairs. */
public final class DpoRewardAccuracyEvaluatorProvider implements EvaluatorProvider<DpoRewardAccuracyConfig> {
    static final String ID = "dpo-reward-accuracy";

    @Override public String id() { return ID; }

    @Override public String description() { return "DPO implicit-reward accuracy and margins against a reference model"; }

    @Override
    public DpoRewardAccuracyConfig defaults() {
        return new DpoRewardAccuracyConfig(0.1, ModelSource.ADAPTERS_DISABLED, 4);
    }

    @Override
    public void validate(DpoRewardAccuracyConfig config, ConfigProblems problems) {
        problems.check(config.beta() > 0 && Double.isFinite(config.beta()), "beta", "must be > 0, was %s", config.beta());
        problems.check(config.reference() != null && !config.reference().isBlank(), "reference",
                "must be '%s' or a checkpoint directory", ModelSource.ADAPTERS_DISABLED);
        problems.check(config.batchSize() > 0, "batch_size", "must be > 0, was %d", config.batchSize());
    }

    @Override
    public Evaluator create(DpoRewardAccuracyConfig config) {
        return new DpoRewardAccuracyEvaluator(config);
    }
}
