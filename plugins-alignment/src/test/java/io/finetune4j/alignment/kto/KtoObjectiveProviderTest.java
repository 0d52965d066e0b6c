package io.finetune4j.alignment.kto;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.ObjectiveProviderContract;
import org.junit.jupiter.api.Test;

class KtoObjectiveProviderTest implements ObjectiveProviderContract<KtoConfig> {
    @Override
    public KtoObjectiveProvider provider() {
        return new KtoObjectiveProvider();
    }

    /** TRL v1.9 {@code KTOConfig} (trl/trainer/kto_config.py): beta 0.1, loss_type kto, weights 1.0. */
    @Test
    void defaultsAreTrlV19s() {
        assertThat(provider().defaults()).isEqualTo(new KtoConfig(0.1, "kto", 1.0, 1.0, "adapters-disabled", true));
    }

    @Test
    void badFieldsAreNamed() {
        ConfigProblems problems = ConfigProblems.at("stages[0].objective");

        provider().validate(new KtoConfig(0, "bco", -1, Double.NaN, "", true), problems);

        assertThat(problems.messages()).containsExactly(
                "stages[0].objective.beta: must be > 0, was 0.0",
                "stages[0].objective.loss_type: must be one of [kto, apo_zero_unpaired], was 'bco'",
                "stages[0].objective.desirable_weight: must be >= 0, was -1.0",
                "stages[0].objective.undesirable_weight: must be >= 0, was NaN",
                "stages[0].objective.reference: must be 'adapters-disabled' or a checkpoint directory");
    }
}
