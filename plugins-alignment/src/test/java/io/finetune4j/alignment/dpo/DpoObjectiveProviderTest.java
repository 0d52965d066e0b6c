package io.finetune4j.alignment.dpo;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.ObjectiveProviderContract;
import io.finetune4j.api.objective.ObjectiveProvider;
import org.junit.jupiter.api.Test;

class DpoObjectiveProviderTest implements ObjectiveProviderContract<DpoConfig> {
    @Override
    public ObjectiveProvider<DpoConfig> provider() {
        return new DpoObjectiveProvider();
    }

    @Test
    void defaultsAreTrls() {
        assertThat(provider().defaults()).isEqualTo(new DpoConfig(0.1, "sigmoid", 0.0, "adapters-disabled", false));
    }

    @Test
    void reportsEveryBadFieldAtOnce() {
        ConfigProblems problems = ConfigProblems.at("stages[1].objective.config");

        provider().validate(new DpoConfig(0, "sigmod", 0.5, " ", false), problems);

        assertThat(problems.messages()).containsExactly(
                "stages[1].objective.config.beta: must be > 0, was 0.0",
                "stages[1].objective.config.loss_type: must be one of [sigmoid, ipo, hinge, robust], was 'sigmod'",
                "stages[1].objective.config.label_smoothing: must be in [0, 0.5), was 0.5",
                "stages[1].objective.config.reference: must be 'adapters-disabled' or a checkpoint directory");
    }
}
