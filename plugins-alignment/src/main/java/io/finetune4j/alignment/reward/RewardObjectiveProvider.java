package io.finetune4j.alignment.reward;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import io.finetune4j.runtime.reward.RewardHead;

/**
 * Creates the {@code reward} objective: a scalar reward head on the model's last non-padding hidden state,
 * trained with the Bradley–Terry loss on {@code {"prompt", "chosen", "rejected"}} rows, as TRL's
 * {@code RewardTrainer}. The head is saved as {@code reward_head.safetensors} in the stage directory and
 * read back with {@link RewardHead#load}.
 */
public final class RewardObjectiveProvider implements ObjectiveProvider<RewardConfig> {
    @Override public String id() { return "reward"; }

    @Override public String description() { return "Reward modelling: Bradley-Terry loss on a scalar head"; }

    @Override public RewardConfig defaults() { return new RewardConfig(0.0, null, true); }

    @Override
    public void validate(RewardConfig config, ConfigProblems problems) {
        problems.check(Double.isFinite(config.margin()), "margin", "must be a finite number, was %s",
                config.margin());
        problems.check(config.centerRewardsCoefficient() == null
                        || (config.centerRewardsCoefficient() >= 0 && Double.isFinite(config.centerRewardsCoefficient())),
                "center_rewards_coefficient", "must be >= 0 (0.01 is the recommended value), was %s",
                config.centerRewardsCoefficient());
    }

    @Override
    public Objective create(RewardConfig config, ObjectiveContext context) {
        return new RewardObjective(config, context);
    }
}
