package io.finetune4j.alignment.grpo;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.ObjectiveProviderContract;
import io.finetune4j.api.objective.ObjectiveProvider;
import org.junit.jupiter.api.Test;

class GrpoObjectiveProviderTest implements ObjectiveProviderContract<GrpoConfig> {
    @Override
    public ObjectiveProvider<GrpoConfig> provider() {
        return new GrpoObjectiveProvider();
    }

    /** TRL v1.9 {@code GRPOConfig} (trl/trainer/grpo_config.py): beta 0.0, loss_type "dapo", 256 tokens. */
    @Test
    void defaultsAreTrlV19s() {
        GrpoConfig defaults = provider().defaults();
        assertThat(defaults.beta()).isEqualTo(0.0);
        assertThat(defaults.lossType()).isEqualTo("dapo");
        assertThat(defaults.maxCompletionLength()).isEqualTo(256);
        assertThat(defaults.scaleRewards()).isEqualTo("group");
        assertThat(defaults.epsilon()).isEqualTo(0.2);
        assertThat(defaults.upperEpsilon()).isEqualTo(0.2);
        assertThat(defaults.importanceSamplingLevel()).isEqualTo("token");
        assertThat(defaults.maskTruncatedCompletions()).isFalse();
        assertThat(defaults.numGenerations()).isEqualTo(8);
    }

    @Test
    void badFieldsAreNamed() {
        ConfigProblems problems = ConfigProblems.at("stages[1].objective");

        provider().validate(new GrpoConfig(1, 0, 0.0, -1, 0, -0.1, 0, "gspo", "yes", "tokens", false, 3, ""), problems);

        assertThat(problems.messages()).containsExactly(
                "stages[1].objective.num_generations: must be >= 2 (advantages compare completions of one prompt),"
                        + " was 1",
                "stages[1].objective.max_completion_length: must be >= 1, was 0",
                "stages[1].objective.temperature: must be > 0 (completions are sampled), was 0.0",
                "stages[1].objective.beta: must be >= 0, was -1.0",
                "stages[1].objective.epsilon: must be in (0, 1), was 0.0",
                "stages[1].objective.epsilon_high: must be > 0, was -0.1",
                "stages[1].objective.scale_rewards: must be one of [group, batch, none], was 'yes'",
                "stages[1].objective.importance_sampling_level: must be one of [token, sequence], was 'tokens'",
                "stages[1].objective.num_iterations: must be >= 1, was 0",
                "stages[1].objective.loss_type: must be one of [dapo, grpo, bnpo, dr_grpo], was 'gspo'",
                "stages[1].objective.generation_batch_size: must be 0 (automatic) or a positive multiple of "
                        + "num_generations (1), was 3",
                "stages[1].objective.reference: must be 'adapters-disabled' or a checkpoint directory");
    }

    @Test
    void generationBatchMustHoldWholeGroups() {
        ConfigProblems problems = ConfigProblems.at("stages[1].objective");

        provider().validate(new GrpoConfig(4, 16, 1.0, 0.04, 0.2, null, 1, "grpo", "group", "token", false, 6,
                "adapters-disabled"), problems);

        assertThat(problems.messages()).containsExactly("stages[1].objective.generation_batch_size: must be 0 "
                + "(automatic) or a positive multiple of num_generations (4), was 6");
    }
}
