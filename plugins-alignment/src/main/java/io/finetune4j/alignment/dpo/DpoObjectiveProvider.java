package io.finetune4j.alignment.dpo;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;

/**
 * Creates the {@code dpo} objective: Direct Preference Optimization (Rafailov et al. 2023) as TRL's
 * {@code DPOTrainer} computes it, on {@code {"prompt", "chosen", "rejected"}} rows. See
 * {@link io.finetune4j.alignment.preference.PreferenceTokenizer} for tokenization and truncation.
 *
 * <p>The usual pipeline is SFT then DPO: the SFT stage's merged model becomes the DPO stage's
 * {@code base: previous}, a fresh LoRA is applied, and {@code reference: adapters-disabled} makes that
 * SFT model the reference without a second copy of its weights.
 */
public final class DpoObjectiveProvider implements ObjectiveProvider<DpoConfig> {
    @Override public String id() { return "dpo"; }

    @Override public String description() { return "Direct preference optimization on chosen/rejected pairs"; }

    @Override public DpoConfig defaults() { return new DpoConfig(0.1, "sigmoid", 0.0, ModelSource.ADAPTERS_DISABLED, false); }

    @Override
    public void validate(DpoConfig config, ConfigProblems problems) {
        problems.check(config.beta() > 0 && Double.isFinite(config.beta()), "beta", "must be > 0, was %s",
                config.beta());
        problems.check(config.lossType() != null && DpoLossType.NAMES.contains(config.lossType()), "loss_type",
                "must be one of %s, was '%s'", DpoLossType.NAMES, config.lossType());
        problems.check(config.labelSmoothing() >= 0 && config.labelSmoothing() < 0.5, "label_smoothing",
                "must be in [0, 0.5), was %s", config.labelSmoothing());
        problems.check(config.reference() != null && !config.reference().isBlank(), "reference",
                "must be '%s' or a checkpoint directory", ModelSource.ADAPTERS_DISABLED);
    }

    @Override
    public Objective create(DpoConfig config, ObjectiveContext context) {
        return new DpoObjective(config, context);
    }
}
