package io.finetune4j.alignment.ppo;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;

/**
 * Creates the {@code ppo} objective: RLHF with proximal policy optimization (Schulman et al. 2017;
 * Ziegler et al. 2019; Ouyang et al. 2022) as TRL's {@code PPOTrainer} computes it, with a value head on the
 * policy, the stage's {@code reward:} function as the score, and a KL penalty to a frozen reference.
 * See {@link PpoObjective} for how rollouts map onto the trainer's steps.
 */
public final class PpoObjectiveProvider implements ObjectiveProvider<PpoConfig> {
    @Override public String id() { return "ppo"; }

    @Override public String description() { return "RLHF with PPO: sampled rollouts, a reward function, a value head"; }

    @Override
    public PpoConfig defaults() {
        return new PpoConfig(4, 1, 53, 0.7, 0.05, "k1", false, 6.0, 10000, 0.2, 0.2, 0.1, 1.0, 0.95, false, 0.0,
                ModelSource.ADAPTERS_DISABLED);
    }

    @Override
    public void validate(PpoConfig config, ConfigProblems problems) {
        problems.check(config.numPpoEpochs() >= 1, "num_ppo_epochs", "must be >= 1, was %d", config.numPpoEpochs());
        problems.check(config.numMiniBatches() >= 1, "num_mini_batches", "must be >= 1, was %d",
                config.numMiniBatches());
        problems.check(config.responseLength() >= 1, "response_length", "must be >= 1, was %d",
                config.responseLength());
        problems.check(config.temperature() > 0 && Double.isFinite(config.temperature()), "temperature",
                "must be > 0 (rollouts are sampled), was %s", config.temperature());
        problems.check(config.klCoef() >= 0 && Double.isFinite(config.klCoef()), "kl_coef", "must be >= 0, was %s",
                config.klCoef());
        problems.check(config.klEstimator() != null && KlEstimator.NAMES.contains(config.klEstimator()),
                "kl_estimator", "must be one of %s, was '%s'", KlEstimator.NAMES, config.klEstimator());
        problems.check(config.target() > 0 && Double.isFinite(config.target()), "target", "must be > 0, was %s",
                config.target());
        problems.check(config.horizon() > 0 && Double.isFinite(config.horizon()), "horizon", "must be > 0, was %s",
                config.horizon());
        problems.check(config.cliprange() > 0 && config.cliprange() < 1, "cliprange", "must be in (0, 1), was %s",
                config.cliprange());
        problems.check(config.cliprangeValue() > 0 && Double.isFinite(config.cliprangeValue()), "cliprange_value",
                "must be > 0, was %s", config.cliprangeValue());
        problems.check(config.vfCoef() >= 0 && Double.isFinite(config.vfCoef()), "vf_coef", "must be >= 0, was %s",
                config.vfCoef());
        problems.check(config.gamma() >= 0 && config.gamma() <= 1, "gamma", "must be in [0, 1], was %s",
                config.gamma());
        problems.check(config.lam() >= 0 && config.lam() <= 1, "lam", "must be in [0, 1], was %s", config.lam());
        problems.check(config.missingEosPenalty() >= 0 && Double.isFinite(config.missingEosPenalty()),
                "missing_eos_penalty", "must be >= 0 (0 = off), was %s", config.missingEosPenalty());
        problems.check(config.reference() != null && !config.reference().isBlank(), "reference",
                "must be '%s' or a checkpoint directory", ModelSource.ADAPTERS_DISABLED);
    }

    @Override
    public Objective create(PpoConfig config, ObjectiveContext context) {
        return new PpoObjective(config, context);
    }
}
