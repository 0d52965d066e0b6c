package io.finetune4j.alignment.dpo;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.ObjectiveProviderContract;
import io.finetune4j.api.objective.ObjectiveProvider;
import java.util.List;
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

    /** TRL v1.9 {@code DPOConfig}: disable_dropout True, truncation_mode keep_start, loss_type [sigmoid]. */
    @Test
    void newKeysDefaultAsTrlV19() {
        DpoConfig defaults = provider().defaults();
        assertThat(defaults.disableDropout()).isTrue();
        assertThat(defaults.truncationMode()).isEqualTo("keep_start");
        assertThat(defaults.lossType()).containsExactly("sigmoid");
        assertThat(defaults.lossWeights()).isEmpty();
        assertThat(defaults.rpoAlpha()).isNull();
        assertThat(defaults.ldAlpha()).isNull();
        assertThat(defaults.discopopTau()).isEqualTo(0.05);
    }

    @Test
    void reportsBadLossListsAndAlphas() {
        ConfigProblems problems = ConfigProblems.at("stages[1].objective.config");

        provider().validate(new DpoConfig(0.1, List.of("sigmoid", "exo_pair"), List.of(1.0), 0.0,
                "adapters-disabled", false, true, "keep_middle", -1.0, 1.5, 0.0), problems);

        assertThat(problems.messages()).containsExactly(
                "stages[1].objective.config.loss_weights: must give one weight per loss_type (2), was 1",
                "stages[1].objective.config.label_smoothing: exo_pair needs label_smoothing > 0 (log ε; EXO's paper"
                        + " uses 1e-3), was 0.0",
                "stages[1].objective.config.truncation_mode: must be one of [keep_start, keep_end], was 'keep_middle'",
                "stages[1].objective.config.rpo_alpha: must be >= 0, was -1.0",
                "stages[1].objective.config.ld_alpha: must be in [0, 1], was 1.5",
                "stages[1].objective.config.discopop_tau: must be > 0, was 0.0");
    }

    @Test
    void reportsEveryBadFieldAtOnce() {
        ConfigProblems problems = ConfigProblems.at("stages[1].objective.config");

        provider().validate(new DpoConfig(0, "sigmod", 0.5, " ", false), problems);

        assertThat(problems.messages()).containsExactly(
                "stages[1].objective.config.beta: must be > 0, was 0.0",
                "stages[1].objective.config.loss_type: must be one of [sigmoid, hinge, ipo, exo_pair, nca_pair, robust, "
                        + "bco_pair, sppo_hard, aot, aot_unpaired, apo_zero, apo_down, discopop, sft, sigmoid_norm], "
                        + "was 'sigmod'",
                "stages[1].objective.config.label_smoothing: must be in [0, 0.5), was 0.5",
                "stages[1].objective.config.reference: must be 'adapters-disabled' or a checkpoint directory");
    }
}
