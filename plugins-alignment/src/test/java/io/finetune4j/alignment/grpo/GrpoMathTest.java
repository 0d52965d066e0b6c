package io.finetune4j.alignment.grpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class GrpoMathTest {
    static final double[] REWARDS = {1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5};

    @Test
    void advantagesAreGroupCentredAndScaledByTheUnbiasedStd() {
        // group 1: mean 0.5, std sqrt(4·0.25/3) = sqrt(1/3); group 2: std 0, so (r − mean)/(0 + 1e-4) = 0
        double scaled = 0.5 / (Math.sqrt(1.0 / 3) + 1e-4);

        double[] advantages = GrpoMath.advantages(REWARDS, 4, true);

        assertThat(advantages).containsExactly(
                new double[] {scaled, -scaled, -scaled, scaled, 0, 0, 0, 0}, within(1e-12));
    }

    @Test
    void unscaledAdvantagesAreOnlyCentred() {
        assertThat(GrpoMath.advantages(REWARDS, 4, false)).containsExactly(
                new double[] {0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0}, within(1e-12));
    }

    @Test
    void groupsAreConsecutive() {
        // groups of 2: {1, 0}, {0, 1}, {0.5, 0.5}, {0.5, 0.5}; std of {1, 0} is sqrt(0.5)
        double scaled = 0.5 / (Math.sqrt(0.5) + 1e-4);

        assertThat(GrpoMath.advantages(REWARDS, 2, true)).containsExactly(
                new double[] {scaled, -scaled, -scaled, scaled, 0, 0, 0, 0}, within(1e-12));
    }

    /** TRL v1.9 scale_rewards="batch": centred by the group mean, scaled by the std of the whole batch. */
    @Test
    void batchScalingDividesByTheStdOfEveryReward() {
        // all 8 rewards: mean 0.5, Σ(r − 0.5)² = 4·0.25, unbiased var 1/7
        double scaled = 0.5 / (Math.sqrt(1.0 / 7) + 1e-4);

        assertThat(GrpoMath.advantages(REWARDS, 4, "batch")).containsExactly(
                new double[] {scaled, -scaled, -scaled, scaled, 0, 0, 0, 0}, within(1e-12));
        assertThat(GrpoMath.advantages(REWARDS, 4, "none")).containsExactly(
                new double[] {0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0}, within(1e-12));
    }
}
