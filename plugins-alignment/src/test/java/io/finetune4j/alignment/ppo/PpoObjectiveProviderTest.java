package io.finetune4j.alignment.ppo;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.ObjectiveProviderContract;
import io.finetune4j.api.objective.ObjectiveProvider;
import org.junit.jupiter.api.Test;

class PpoObjectiveProviderTest implements ObjectiveProviderContract<PpoConfig> {
    @Override
    public ObjectiveProvider<PpoConfig> provider() {
        return new PpoObjectiveProvider();
    }

    @Test
    void defaultsAreTrls() {
        PpoConfig defaults = provider().defaults();

        assertThat(defaults.numPpoEpochs()).isEqualTo(4);
        assertThat(defaults.klCoef()).isEqualTo(0.05);
        assertThat(defaults.klEstimator()).isEqualTo("k1");
        assertThat(defaults.cliprange()).isEqualTo(0.2);
        assertThat(defaults.cliprangeValue()).isEqualTo(0.2);
        assertThat(defaults.vfCoef()).isEqualTo(0.1);
        assertThat(defaults.gamma()).isEqualTo(1.0);
        assertThat(defaults.lam()).isEqualTo(0.95);
        assertThat(defaults.whitenRewards()).isFalse();
    }

    @Test
    void badFieldsAreNamed() {
        ConfigProblems problems = ConfigProblems.at("stages[1].objective");

        provider().validate(new PpoConfig(0, 0, 0, 0.0, -0.1, "k2", true, 0, 0, 1.5, 0, -1, 1.5, -0.1, false, -1,
                " "), problems);

        assertThat(problems.messages()).containsExactly(
                "stages[1].objective.num_ppo_epochs: must be >= 1, was 0",
                "stages[1].objective.num_mini_batches: must be >= 1, was 0",
                "stages[1].objective.response_length: must be >= 1, was 0",
                "stages[1].objective.temperature: must be > 0 (rollouts are sampled), was 0.0",
                "stages[1].objective.kl_coef: must be >= 0, was -0.1",
                "stages[1].objective.kl_estimator: must be one of [k1, k3], was 'k2'",
                "stages[1].objective.target: must be > 0, was 0.0",
                "stages[1].objective.horizon: must be > 0, was 0.0",
                "stages[1].objective.cliprange: must be in (0, 1), was 1.5",
                "stages[1].objective.cliprange_value: must be > 0, was 0.0",
                "stages[1].objective.vf_coef: must be >= 0, was -1.0",
                "stages[1].objective.gamma: must be in [0, 1], was 1.5",
                "stages[1].objective.lam: must be in [0, 1], was -0.1",
                "stages[1].objective.missing_eos_penalty: must be >= 0 (0 = off), was -1.0",
                "stages[1].objective.reference: must be 'adapters-disabled' or a checkpoint directory");
    }
}
