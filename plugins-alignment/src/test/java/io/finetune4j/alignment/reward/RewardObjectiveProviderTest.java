package io.finetune4j.alignment.reward;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.ObjectiveProviderContract;
import io.finetune4j.api.objective.ObjectiveProvider;
import org.junit.jupiter.api.Test;

class RewardObjectiveProviderTest implements ObjectiveProviderContract<RewardConfig> {
    @Override
    public ObjectiveProvider<RewardConfig> provider() {
        return new RewardObjectiveProvider();
    }

    @Test
    void rejectsANonFiniteMargin() {
        ConfigProblems problems = ConfigProblems.at("stages[0].objective.config");

        provider().validate(new RewardConfig(Double.NaN, null, true), problems);

        assertThat(problems.messages()).containsExactly(
                "stages[0].objective.config.margin: must be a finite number, was NaN");
    }
}
