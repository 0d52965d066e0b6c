package io.finetune4j.alignment.orpo;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;

/**
 * Creates the {@code orpo} objective: Odds Ratio Preference Optimization (Hong et al. 2024), SFT and
 * preference alignment in one stage without a reference model, as TRL's {@code ORPOTrainer} computes it, on
 * {@code {"prompt", "chosen", "rejected"}} rows tokenized like DPO's
 * ({@link io.finetune4j.alignment.preference.PreferenceTokenizer}).
 */
public final class OrpoObjectiveProvider implements ObjectiveProvider<OrpoConfig> {
    @Override public String id() { return "orpo"; }

    @Override public String description() { return "Odds-ratio preference optimization (SFT + preference, no reference)"; }

    @Override public OrpoConfig defaults() { return new OrpoConfig(0.1, true); }

    @Override
    public void validate(OrpoConfig config, ConfigProblems problems) {
        problems.check(config.beta() >= 0 && Double.isFinite(config.beta()), "beta", "must be >= 0, was %s",
                config.beta());
    }

    @Override
    public Objective create(OrpoConfig config, ObjectiveContext context) {
        return new OrpoObjective(config, context);
    }
}
