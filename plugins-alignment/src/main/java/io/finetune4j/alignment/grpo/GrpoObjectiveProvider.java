package io.finetune4j.alignment.grpo;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import java.util.List;

/**
 * Creates the {@code grpo} objective: Group Relative Policy Optimization (Shao et al. 2024, DeepSeekMath)
 * as TRL's {@code GRPOTrainer}: several sampled completions per prompt, scored by the stage's
 * {@code reward:} function, advantages relative to the group, a clipped ratio loss and a k3 KL penalty.
 * No value head. See {@link GrpoObjective} for how rollouts map onto the trainer's steps.
 */
public final class GrpoObjectiveProvider implements ObjectiveProvider<GrpoConfig> {
    static final List<String> IMPORTANCE_SAMPLING_LEVELS = List.of("token", "sequence");

    @Override public String id() { return "grpo"; }

    @Override public String description() { return "GRPO: group-relative advantages over sampled completions"; }

    @Override
    public GrpoConfig defaults() {
        // TRL v1.9 GRPOConfig: beta 0.0, loss_type "dapo", max_completion_length 256, scale_rewards "group".
        return new GrpoConfig(8, 256, 1.0, 0.0, 0.2, null, 1, "dapo", "group", "token", false, 0,
                ModelSource.ADAPTERS_DISABLED);
    }

    @Override
    public void validate(GrpoConfig config, ConfigProblems problems) {
        problems.check(config.numGenerations() >= 2, "num_generations",
                "must be >= 2 (advantages compare completions of one prompt), was %d", config.numGenerations());
        problems.check(config.maxCompletionLength() >= 1, "max_completion_length", "must be >= 1, was %d",
                config.maxCompletionLength());
        problems.check(config.temperature() > 0 && Double.isFinite(config.temperature()), "temperature",
                "must be > 0 (completions are sampled), was %s", config.temperature());
        problems.check(config.beta() >= 0 && Double.isFinite(config.beta()), "beta", "must be >= 0, was %s",
                config.beta());
        problems.check(config.epsilon() > 0 && config.epsilon() < 1, "epsilon", "must be in (0, 1), was %s",
                config.epsilon());
        problems.check(config.epsilonHigh() == null || (config.epsilonHigh() > 0 && Double.isFinite(config.epsilonHigh())),
                "epsilon_high", "must be > 0, was %s", config.epsilonHigh());
        problems.check(GrpoMath.SCALINGS.contains(config.scaleRewards()), "scale_rewards",
                "must be one of %s, was '%s'", GrpoMath.SCALINGS, config.scaleRewards());
        problems.check(IMPORTANCE_SAMPLING_LEVELS.contains(config.importanceSamplingLevel()),
                "importance_sampling_level", "must be one of %s, was '%s'", IMPORTANCE_SAMPLING_LEVELS,
                config.importanceSamplingLevel());
        problems.check(config.numIterations() >= 1, "num_iterations", "must be >= 1, was %d",
                config.numIterations());
        problems.check(config.lossType() != null && GrpoLossType.NAMES.contains(config.lossType()), "loss_type",
                "must be one of %s, was '%s'", GrpoLossType.NAMES, config.lossType());
        problems.check(config.generationBatchSize() == 0 || (config.generationBatchSize() > 0
                        && config.numGenerations() >= 2 && config.generationBatchSize() % config.numGenerations() == 0),
                "generation_batch_size", "must be 0 (automatic) or a positive multiple of num_generations (%d), was %d",
                config.numGenerations(), config.generationBatchSize());
        problems.check(config.reference() != null && !config.reference().isBlank(), "reference",
                "must be '%s' or a checkpoint directory", ModelSource.ADAPTERS_DISABLED);
    }

    @Override
    public Objective create(GrpoConfig config, ObjectiveContext context) {
        return new GrpoObjective(config, context);
    }
}
