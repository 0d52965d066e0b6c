package io.finetune4j.alignment.cpo;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import java.util.List;

/**
 * Creates the {@code cpo} objective: Contrastive Preference Optimization (Xu et al. 2024) as TRL v1.9's
 * {@code CPOTrainer} ({@code trl/experimental/cpo/cpo_trainer.py}): reference-free, a preference loss on the
 * policy's own log-probs plus {@code cpo_alpha} times the chosen NLL. See {@link CpoObjective}.
 */
public final class CpoObjectiveProvider implements ObjectiveProvider<CpoConfig> {
    static final List<String> LOSS_TYPES = List.of("sigmoid", "hinge", "ipo", "simpo");

    @Override public String id() { return "cpo"; }

    @Override public String description() { return "CPO: reference-free preference loss plus chosen NLL"; }

    /** TRL v1.9 {@code CPOConfig}: beta 0.1, label_smoothing 0, loss_type sigmoid, cpo_alpha 1.0, simpo_gamma 0.5. */
    @Override public CpoConfig defaults() { return new CpoConfig(0.1, 0.0, "sigmoid", 1.0, 0.5, true); }

    @Override
    public void validate(CpoConfig config, ConfigProblems problems) {
        validateCpo(config, problems);
    }

    static void validateCpo(CpoConfig config, ConfigProblems problems) {
        problems.check(config.beta() > 0 && Double.isFinite(config.beta()), "beta", "must be > 0, was %s",
                config.beta());
        problems.check(config.labelSmoothing() >= 0 && config.labelSmoothing() < 0.5, "label_smoothing",
                "must be in [0, 0.5), was %s", config.labelSmoothing());
        problems.check(LOSS_TYPES.contains(config.lossType()), "loss_type", "must be one of %s, was '%s'",
                LOSS_TYPES, config.lossType());
        problems.check(config.cpoAlpha() >= 0 && Double.isFinite(config.cpoAlpha()), "cpo_alpha",
                "must be >= 0, was %s", config.cpoAlpha());
        problems.check(Double.isFinite(config.simpoGamma()), "simpo_gamma", "must be a finite number, was %s",
                config.simpoGamma());
    }

    @Override
    public Objective create(CpoConfig config, ObjectiveContext context) {
        return new CpoObjective(config, context, id());
    }
}
