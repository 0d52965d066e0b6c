package io.finetune4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.TrainingException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DivergenceGuardTest {
    private final List<String> warnings = new ArrayList<>();

    private DivergenceGuard guard(DivergenceConfig config) {
        return new DivergenceGuard(config, warnings::add);
    }

    @Test
    void aLossThatStaysAtTheFactorForThePatienceStopsTheStage() {
        DivergenceGuard guard = guard(new DivergenceConfig(true, 2.0, 3, 100, 0));
        guard.observe(1, 1.0, 0.5, "s: ");
        guard.observe(2, 2.5, 0.5, "s: ");
        guard.observe(3, 1.9, 0.5, "s: "); // below 2 × 1.0: the streak starts over
        assertThat(guard.suspect()).isFalse();
        guard.observe(4, 2.0, 0.5, "s: ");
        guard.observe(5, 3.0, 0.5, "s: ");
        assertThat(guard.suspect()).isTrue();

        assertThatThrownBy(() -> guard.observe(6, 5.5, 0.5, "s: ")).isInstanceOf(TrainingException.class)
                .hasMessageStartingWith("s: diverged: the loss has stayed at or above 2.0× the first step's loss "
                        + "(1.0000) for 3 steps, now 5.5000");
    }

    @Test
    void aVanishedGradientForTheGivenStepsStopsTheStage() {
        DivergenceGuard guard = guard(new DivergenceConfig(true, 2.0, 100, 2, 0));
        guard.observe(1, 5.5, 0.0, "s: ");
        assertThat(guard.suspect()).isTrue();
        assertThatThrownBy(() -> guard.observe(2, 5.5, 0.0, "s: ")).isInstanceOf(TrainingException.class)
                .hasMessageContaining("gradient norm has been exactly 0 for 2 steps");
    }

    @Test
    void rlLossesNearZeroAreLeftToTheGradientRule() {
        DivergenceGuard guard = guard(new DivergenceConfig(true, 2.0, 1, 5, 0));
        guard.observe(1, 0.01, 0.3, "s: ");
        guard.observe(2, 0.5, 0.3, "s: "); // 50× the first loss, but that loss is below the floor
        assertThat(guard.suspect()).isFalse();
    }

    @Test
    void spikesAreWarnedAboutAndDisabledGuardsSayNothing() {
        DivergenceGuard guard = guard(new DivergenceConfig(true, 2.0, 100, 100, 3.0));
        guard.observe(1, 1.0, 1, "s: ");
        guard.observe(2, 1.0, 1, "s: ");
        guard.observe(3, 3.5, 1, "step 3: ");
        assertThat(warnings).containsExactly("step 3: loss spiked to 3.5000, 3.5× the running mean 1.0000");

        DivergenceGuard off = guard(new DivergenceConfig(false, 2.0, 1, 1, 3.0));
        off.observe(1, 1.0, 0.0, "s: ");
        off.observe(2, 9.0, 0.0, "s: ");
        assertThat(off.suspect()).isFalse();
    }
}
