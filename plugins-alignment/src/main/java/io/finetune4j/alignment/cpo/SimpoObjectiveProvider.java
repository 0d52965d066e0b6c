package io.finetune4j.alignment.cpo;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;

/**
 * Creates the {@code simpo} objective: SimPO (Meng et al. 2024), which TRL v1.9 runs as its {@code CPOTrainer}
 * with {@code loss_type="simpo"} and {@code cpo_alpha=0} (TRL's SimPO recipe): the same {@link CpoObjective},
 * with those two defaults. Setting {@code cpo_alpha > 0} gives CPO-SimPO.
 */
public final class SimpoObjectiveProvider implements ObjectiveProvider<CpoConfig> {
    @Override public String id() { return "simpo"; }

    @Override public String description() { return "SimPO: length-normalised reference-free preference loss"; }

    @Override public CpoConfig defaults() { return new CpoConfig(0.1, 0.0, "simpo", 0.0, 0.5, true); }

    @Override
    public void validate(CpoConfig config, ConfigProblems problems) {
        CpoObjectiveProvider.validateCpo(config, problems);
    }

    @Override
    public Objective create(CpoConfig config, ObjectiveContext context) {
        return new CpoObjective(config, context, id());
    }
}
