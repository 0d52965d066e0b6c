package io.finetune4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import org.junit.jupiter.api.Test;

class TrainingConfigTest {
    @Test
    void defaultsAreValidAndFollowHuggingFace() {
        TrainingConfig defaults = TrainingConfig.defaults();
        ConfigProblems problems = ConfigProblems.at("stages[0].training");

        defaults.validate(problems);

        assertThat(problems.messages()).isEmpty();
        assertThat(defaults).isEqualTo(new TrainingConfig(
                1, -1, 8, 1, 2e-4, 0.0, 0.9, 0.999, 1e-8, 0, "linear", 1.0, 10, 42));
    }

    @Test
    void reportsEveryInvalidFieldBySnakeCaseKey() {
        TrainingConfig bad = new TrainingConfig(0, 0, 0, 0, -1.0, -0.5, 1.0, -0.1, -1e-8, -1, "exponential",
                Double.NaN, 0, 1);
        ConfigProblems problems = ConfigProblems.at("stages[1].training");

        bad.validate(problems);

        assertThat(problems.messages()).containsExactly(
                "stages[1].training.epochs: must be >= 1, was 0",
                "stages[1].training.max_steps: must be -1 (epochs decide) or >= 1, was 0",
                "stages[1].training.batch_size: must be >= 1, was 0",
                "stages[1].training.gradient_accumulation_steps: must be >= 1, was 0",
                "stages[1].training.learning_rate: must be > 0, was -1.0",
                "stages[1].training.weight_decay: must be >= 0, was -0.5",
                "stages[1].training.adam_beta1: must be in [0, 1), was 1.0",
                "stages[1].training.adam_beta2: must be in [0, 1), was -0.1",
                "stages[1].training.adam_epsilon: must be >= 0, was -1.0E-8",
                "stages[1].training.warmup_steps: must be >= 0, was -1",
                "stages[1].training.lr_schedule: must be one of cosine|linear|constant, was 'exponential'",
                "stages[1].training.max_grad_norm: must be a finite number (<= 0 turns clipping off), was NaN",
                "stages[1].training.logging_steps: must be >= 1, was 0");
    }

    @Test
    void missingScheduleIsReportedAsNull() {
        TrainingConfig d = TrainingConfig.defaults();
        TrainingConfig noSchedule = new TrainingConfig(d.epochs(), d.maxSteps(), d.batchSize(),
                d.gradientAccumulationSteps(), d.learningRate(), d.weightDecay(), d.adamBeta1(), d.adamBeta2(),
                d.adamEpsilon(), d.warmupSteps(), null, d.maxGradNorm(), d.loggingSteps(), d.seed());
        ConfigProblems problems = ConfigProblems.at("");

        noSchedule.validate(problems);

        assertThat(problems.messages()).containsExactly("lr_schedule: must be one of cosine|linear|constant, was null");
    }

    @Test
    void stepsAreEpochsTimesCeilOfExamplesOverExamplesPerStep() {
        TrainingConfig config = new TrainingConfig(3, -1, 4, 2, 2e-4, 0, 0.9, 0.999, 1e-8, 0, "linear", 1, 10, 42);

        assertThat(config.stepsPerEpoch(16)).isEqualTo(2);
        assertThat(config.stepsPerEpoch(17)).isEqualTo(3);
        assertThat(config.stepsPerEpoch(1)).isEqualTo(1);
        assertThat(config.totalOptimizerSteps(17)).isEqualTo(9);
    }

    @Test
    void maxStepsOverridesEpochs() {
        TrainingConfig config = new TrainingConfig(3, 7, 4, 2, 2e-4, 0, 0.9, 0.999, 1e-8, 0, "linear", 1, 10, 42);

        assertThat(config.totalOptimizerSteps(1000)).isEqualTo(7);
        assertThat(config.totalOptimizerSteps(3)).isEqualTo(7);
    }
}
