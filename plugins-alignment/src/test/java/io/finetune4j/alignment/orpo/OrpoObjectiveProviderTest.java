package io.finetune4j.alignment.orpo;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.ObjectiveProviderContract;
import io.finetune4j.api.objective.ObjectiveProvider;
import org.junit.jupiter.api.Test;

class OrpoObjectiveProviderTest implements ObjectiveProviderContract<OrpoConfig> {
    @Override
    public ObjectiveProvider<OrpoConfig> provider() {
        return new OrpoObjectiveProvider();
    }

    @Test
    void defaultBetaIsTrls() {
        assertThat(provider().defaults()).isEqualTo(new OrpoConfig(0.1, true));
    }

    @Test
    void rejectsANegativeBeta() {
        ConfigProblems problems = ConfigProblems.at("stages[0].objective.config");

        provider().validate(new OrpoConfig(-1, true), problems);

        assertThat(problems.messages()).containsExactly("stages[0].objective.config.beta: must be >= 0, was -1.0");
    }
}
