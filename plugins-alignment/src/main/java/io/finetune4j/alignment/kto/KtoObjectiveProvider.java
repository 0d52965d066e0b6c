package io.finetune4j.alignment.kto;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import java.util.List;

/**
 * Creates the {@code kto} objective: Kahneman–Tversky Optimization (Ethayarajh et al. 2024) as TRL v1.9's
 * {@code KTOTrainer} ({@code trl/trainer/kto_trainer.py}), on preference rows split into one desirable and one
 * undesirable example each (TRL's {@code unpair_preference_dataset}). See {@link KtoObjective}.
 */
public final class KtoObjectiveProvider implements ObjectiveProvider<KtoConfig> {
    static final List<String> LOSS_TYPES = List.of("kto", "apo_zero_unpaired");

    @Override public String id() { return "kto"; }

    @Override public String description() { return "KTO: desirable/undesirable completions against a KL baseline"; }

    @Override public KtoConfig defaults() { return new KtoConfig(0.1, "kto", 1.0, 1.0, ModelSource.ADAPTERS_DISABLED, true); }

    @Override
    public void validate(KtoConfig config, ConfigProblems problems) {
        problems.check(config.beta() > 0 && Double.isFinite(config.beta()), "beta", "must be > 0, was %s",
                config.beta());
        problems.check(LOSS_TYPES.contains(config.lossType()), "loss_type", "must be one of %s, was '%s'",
                LOSS_TYPES, config.lossType());
        problems.check(config.desirableWeight() >= 0 && Double.isFinite(config.desirableWeight()),
                "desirable_weight", "must be >= 0, was %s", config.desirableWeight());
        problems.check(config.undesirableWeight() >= 0 && Double.isFinite(config.undesirableWeight()),
                "undesirable_weight", "must be >= 0, was %s", config.undesirableWeight());
        problems.check(config.reference() != null && !config.reference().isBlank(), "reference",
                "must be '%s' or a checkpoint directory", ModelSource.ADAPTERS_DISABLED);
    }

    @Override
    public Objective create(KtoConfig config, ObjectiveContext context) {
        return new KtoObjective(config, context);
    }
}
