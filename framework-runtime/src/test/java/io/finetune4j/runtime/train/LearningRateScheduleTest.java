package io.finetune4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
    @Test
    void linearWarmsUpThenDecaysToZero() {
        LearningRateSchedule schedule = LearningRateSchedule.of("linear", 4, 10);

        assertThat(schedule.multiplier(0)).isEqualTo(0.0);
        assertThat(schedule.multiplier(1)).isEqualTo(0.25);
        assertThat(schedule.multiplier(2)).isEqualTo(0.5);
        assertThat(schedule.multiplier(4)).isEqualTo(1.0);
        assertThat(schedule.multiplier(7)).isCloseTo((10 - 7) / 6.0, within(1e-15));
        assertThat(schedule.multiplier(10)).isEqualTo(0.0);
        assertThat(schedule.multiplier(12)).isEqualTo(0.0);
    }

    @Test
    void cosineFollowsHalfAWave() {
        LearningRateSchedule schedule = LearningRateSchedule.of("cosine", 2, 10);

        assertThat(schedule.multiplier(1)).isEqualTo(0.5);
        assertThat(schedule.multiplier(2)).isEqualTo(1.0);
        assertThat(schedule.multiplier(4)).isCloseTo(0.5 * (1 + Math.cos(Math.PI * 2 / 8)), within(1e-15));
        assertThat(schedule.multiplier(4)).isCloseTo((2 + Math.sqrt(2)) / 4, within(1e-15));
        assertThat(schedule.multiplier(6)).isCloseTo(0.5, within(1e-15));
        assertThat(schedule.multiplier(10)).isCloseTo(0.0, within(1e-15));
        assertThat(schedule.multiplier(13)).isGreaterThanOrEqualTo(0.0);
    }

    @Test
    void constantWarmsUpThenHolds() {
        LearningRateSchedule schedule = LearningRateSchedule.of("constant", 4, 10);

        assertThat(schedule.multiplier(1)).isEqualTo(0.25);
        assertThat(schedule.multiplier(4)).isEqualTo(1.0);
        assertThat(schedule.multiplier(100)).isEqualTo(1.0);
        assertThat(LearningRateSchedule.of("constant", 0, 10).multiplier(0)).isEqualTo(1.0);
    }

    @Test
    void optimizerStepOneUsesTheMultiplierAtZero() {
        assertThat(LearningRateSchedule.of("linear", 2, 10).learningRate(2e-4, 1)).isEqualTo(0.0);
        assertThat(LearningRateSchedule.of("linear", 2, 10).learningRate(2e-4, 2)).isCloseTo(1e-4, within(1e-18));
        assertThat(LearningRateSchedule.of("linear", 0, 4).learningRate(2e-4, 1)).isEqualTo(2e-4);
        assertThat(LearningRateSchedule.of("linear", 0, 4).learningRate(2e-4, 4)).isCloseTo(0.5e-4, within(1e-18));
    }

    @Test
    void rejectsUnknownName() {
        assertThatThrownBy(() -> LearningRateSchedule.of("exponential", 0, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown learning-rate schedule 'exponential'; known: [cosine, linear, constant]");
    }
}
