package io.finetune4j.alignment.dpo;

import io.finetune4j.alignment.preference.PreferenceTruncation;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import java.util.List;

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

    /** TRL v1.9's {@code DPOConfig} defaults. */
    @Override
    public DpoConfig defaults() {
        return new DpoConfig(0.1, List.of("sigmoid"), List.of(), 0.0, ModelSource.ADAPTERS_DISABLED, false, true,
                "keep_start", null, null, 0.05);
    }

    @Override
    public void validate(DpoConfig config, ConfigProblems problems) {
        problems.check(config.beta() > 0 && Double.isFinite(config.beta()), "beta", "must be > 0, was %s",
                config.beta());
        problems.check(!config.lossType().isEmpty(), "loss_type", "must name at least one of %s", DpoLossType.NAMES);
        for (String name : config.lossType()) {
            problems.check(DpoLossType.NAMES.contains(name), "loss_type", "must be one of %s, was '%s'",
                    DpoLossType.NAMES, name);
        }
        problems.check(config.lossWeights().isEmpty() || config.lossWeights().size() == config.lossType().size(),
                "loss_weights", "must give one weight per loss_type (%d), was %d", config.lossType().size(),
                config.lossWeights().size());
        for (Double weight : config.lossWeights()) {
            problems.check(weight != null && Double.isFinite(weight), "loss_weights", "must be finite, was %s",
                    weight);
        }
        problems.check(config.labelSmoothing() >= 0 && config.labelSmoothing() < 0.5, "label_smoothing",
                "must be in [0, 0.5), was %s", config.labelSmoothing());
        problems.check(!config.lossType().contains("exo_pair") || config.labelSmoothing() > 0, "label_smoothing",
                "exo_pair needs label_smoothing > 0 (log ε; EXO's paper uses 1e-3), was %s", config.labelSmoothing());
        problems.check(PreferenceTruncation.MODES.contains(config.truncationMode()), "truncation_mode",
                "must be one of %s, was '%s'", PreferenceTruncation.MODES, config.truncationMode());
        problems.check(config.rpoAlpha() == null || (config.rpoAlpha() >= 0 && Double.isFinite(config.rpoAlpha())),
                "rpo_alpha", "must be >= 0, was %s", config.rpoAlpha());
        problems.check(config.ldAlpha() == null || (config.ldAlpha() >= 0 && config.ldAlpha() <= 1), "ld_alpha",
                "must be in [0, 1], was %s", config.ldAlpha());
        problems.check(config.discopopTau() > 0 && Double.isFinite(config.discopopTau()), "discopop_tau",
                "must be > 0, was %s", config.discopopTau());
        problems.check(config.reference() != null && !config.reference().isBlank(), "reference",
                "must be '%s' or a checkpoint directory", ModelSource.ADAPTERS_DISABLED);
    }

    @Override
    public Objective create(DpoConfig config, ObjectiveContext context) {
        return new DpoObjective(config, context);
    }
}
