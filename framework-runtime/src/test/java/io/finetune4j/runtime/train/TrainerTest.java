package io.finetune4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.TrainingException;
import io.finetune4j.api.method.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainerTest {
    private static final RegressionData DATA = RegressionData.generate(16, 7);

    /** Defaults, then the fields these tests vary. */
    private static TrainingConfig config(int epochs, int batchSize, int accumulation, double learningRate,
                                         double maxGradNorm, long seed) {
        TrainingConfig d = TrainingConfig.defaults();
        return new TrainingConfig(epochs, -1, batchSize, accumulation, learningRate, d.weightDecay(),
                d.adamBeta1(), d.adamBeta2(), d.adamEpsilon(), d.warmupSteps(), d.lrSchedule(), maxGradNorm,
                d.loggingSteps(), seed);
    }

    private static TrainingSummary fit(TrainingConfig config, RegressionMethod method, RegressionObjective objective) {
        return new Trainer(config, ProgressListener.NONE, MetricsSink.NONE, "regression").fit(method, objective);
    }

    @Test
    void wholeLoopMatchesDoubleReference() {
        // Uneven micro-batches (10 examples, 3 x 2 per step), warm-up, cosine, decay, clipping, a penalty.
        RegressionData data = RegressionData.generate(10, 3);
        TrainingConfig config = new TrainingConfig(2, -1, 3, 2, 0.05, 0.1, 0.9, 0.999, 1e-8, 1, "cosine", 0.3, 1, 5);
        double penalty = 0.01;
        ReferenceTraining reference = new ReferenceTraining(data, config, penalty, step -> step < 1 ? 0.0
                : 0.5 * (1 + Math.cos(Math.PI * (step - 1) / 3.0)));
        try (RegressionMethod method = new RegressionMethod(penalty)) {
            TrainingSummary summary = fit(config, method, new RegressionObjective(data, method));

            assertThat(summary.steps()).isEqualTo(4);
            for (int i = 0; i < 4; i++) {
                assertThat(summary.stepLosses().get(i)).isCloseTo(reference.stepLosses.get(i), within(1e-5));
                assertThat(summary.logs().get(i).value("grad_norm"))
                        .isCloseTo(reference.gradNorms.get(i), within(1e-5));
            }
            assertThat(method.weightValues()).containsExactly(reference.weight, within(1e-5));
            assertThat(method.biasValue()).isCloseTo(reference.bias, within(1e-5));
        }
    }

    /** PEFT adds AdaLoRA's penalty only where the model computes the loss; other objectives opt out. */
    @Test
    void objectiveThatOptsOutTrainsWithoutTheMethodsPenalty() {
        RegressionData data = RegressionData.generate(10, 3);
        TrainingConfig config = new TrainingConfig(2, -1, 3, 2, 0.05, 0.1, 0.9, 0.999, 1e-8, 1, "cosine", 0.3, 1, 5);
        ReferenceTraining reference = new ReferenceTraining(data, config, 0.0, step -> step < 1 ? 0.0
                : 0.5 * (1 + Math.cos(Math.PI * (step - 1) / 3.0)));
        try (RegressionMethod method = new RegressionMethod(0.5)) {
            RegressionObjective objective = new RegressionObjective(data, method);
            objective.takesRegularization = false;
            TrainingSummary summary = fit(config, method, objective);

            for (int i = 0; i < 4; i++) {
                assertThat(summary.stepLosses().get(i)).isCloseTo(reference.stepLosses.get(i), within(1e-5));
            }
            assertThat(method.weightValues()).containsExactly(reference.weight, within(1e-5));
        }
    }

    @Test
    void lossDecreasesOnRegression() {
        try (RegressionMethod method = new RegressionMethod(0)) {
            TrainingSummary summary =
                    fit(config(50, 4, 1, 0.1, 1.0, 42), method, new RegressionObjective(DATA, method));

            assertThat(summary.steps()).isEqualTo(200);
            assertThat(summary.finalLoss()).isLessThan(0.01 * summary.stepLosses().get(0));
            for (int j = 0; j < 3; j++) {
                assertThat(method.weightValues()[j] * RegressionMethod.SCALE[j])
                        .isCloseTo(RegressionData.TRUE_WEIGHT[j], within(0.1));
            }
        }
    }

    @Test
    void accumulatingTwoBatchesOfTwoEqualsOneBatchOfFour() {
        try (RegressionMethod once = new RegressionMethod(0); RegressionMethod accumulated = new RegressionMethod(0)) {
            TrainingSummary four = fit(config(3, 4, 1, 0.05, 1.0, 11), once, new RegressionObjective(DATA, once));
            TrainingSummary twoByTwo =
                    fit(config(3, 2, 2, 0.05, 1.0, 11), accumulated, new RegressionObjective(DATA, accumulated));

            assertThat(twoByTwo.steps()).isEqualTo(four.steps()).isEqualTo(12);
            for (int i = 0; i < four.steps(); i++) {
                assertThat(twoByTwo.stepLosses().get(i)).isCloseTo(four.stepLosses().get(i), within(1e-6));
            }
            assertThat(accumulated.weightValues()).containsExactly(once.weightValues(), within(1e-6));
            assertThat(accumulated.biasValue()).isCloseTo(once.biasValue(), within(1e-6));
        }
    }

    @Test
    void clippingScalesGradientsToMaxNorm() {
        // One step over all examples. With eps much larger than the gradient Adam's first step is
        // lr·g/(|g| + eps), so the update shows the gradient's scale, not just its sign.
        TrainingConfig config = new TrainingConfig(1, -1, 16, 1, 0.1, 0.0, 0.9, 0.999, 10.0, 0, "constant", 0.5, 1, 1);
        double[] gradient = new double[4]; // w0, w1, w2, b at the initial parameters
        for (int i = 0; i < DATA.size(); i++) {
            double residual = RegressionMethod.INITIAL_BIAS - DATA.y()[i];
            for (int j = 0; j < 3; j++) {
                residual += DATA.x()[i][j] * RegressionMethod.SCALE[j] * RegressionMethod.INITIAL_WEIGHT[j];
            }
            for (int j = 0; j < 3; j++) {
                gradient[j] += 2 * residual * DATA.x()[i][j] * RegressionMethod.SCALE[j] / DATA.size();
            }
            gradient[3] += 2 * residual / DATA.size();
        }
        double norm = Math.sqrt(gradient[0] * gradient[0] + gradient[1] * gradient[1] + gradient[2] * gradient[2]
                + gradient[3] * gradient[3]);
        double coefficient = 0.5 / (norm + 1e-6);
        assertThat(coefficient).as("clipping is active").isLessThan(1.0);

        try (RegressionMethod method = new RegressionMethod(0)) {
            TrainingSummary summary = fit(config, method, new RegressionObjective(DATA, method));

            assertThat(summary.logs().get(0).value("grad_norm")).isCloseTo(norm, within(1e-5));
            double[] after = {method.weightValues()[0], method.weightValues()[1], method.weightValues()[2],
                    method.biasValue()};
            double[] before = {RegressionMethod.INITIAL_WEIGHT[0], RegressionMethod.INITIAL_WEIGHT[1],
                    RegressionMethod.INITIAL_WEIGHT[2], RegressionMethod.INITIAL_BIAS};
            for (int j = 0; j < 4; j++) {
                double clipped = gradient[j] * coefficient;
                double expected = before[j] - 0.1 * clipped / (Math.abs(clipped) + 10.0);
                assertThat(after[j]).as("parameter %d", j).isCloseTo(expected, within(1e-7));
            }
        }
    }

    @Test
    void sameSeedGivesIdenticalLossesAndOtherSeedAnotherOrder() {
        try (RegressionMethod first = new RegressionMethod(0); RegressionMethod second = new RegressionMethod(0);
             RegressionMethod third = new RegressionMethod(0)) {
            RegressionObjective a = new RegressionObjective(DATA, first);
            RegressionObjective b = new RegressionObjective(DATA, second);
            RegressionObjective c = new RegressionObjective(DATA, third);
            TrainingSummary runA = fit(config(2, 4, 1, 0.05, 1.0, 3), first, a);
            TrainingSummary runB = fit(config(2, 4, 1, 0.05, 1.0, 3), second, b);
            fit(config(2, 4, 1, 0.05, 1.0, 4), third, c);

            assertThat(runB.stepLosses()).isEqualTo(runA.stepLosses());
            assertThat(b.seen).isEqualTo(a.seen);
            assertThat(c.seen).isNotEqualTo(a.seen);
            // Each epoch still visits every example once.
            assertThat(c.seen.subList(0, 4).stream().flatMap(List::stream).sorted().toList())
                    .isEqualTo(java.util.stream.IntStream.range(0, 16).boxed().toList());
        }
    }

    @Test
    void onlyTrainableParametersChange() {
        try (RegressionMethod method = new RegressionMethod(0)) {
            float[] scaleBefore = method.scale.toFloatArray();
            fit(config(2, 4, 1, 0.05, 1.0, 42), method, new RegressionObjective(DATA, method));

            assertThat(method.scale.toFloatArray()).containsExactly(scaleBefore);
            assertThat(method.weightValues()).doesNotContain(RegressionMethod.INITIAL_WEIGHT);
            assertThat(method.biasValue()).isNotEqualTo(RegressionMethod.INITIAL_BIAS);
        }
    }

    @Test
    void managedArrayCountsStayFlatOverManySteps() {
        try (RegressionMethod method = new RegressionMethod(0.01)) {
            Trainer trainer = new Trainer(config(100, 4, 2, 0.01, 1.0, 42), ProgressListener.NONE,
                    MetricsSink.NONE, "regression");
            int parametersBefore = method.manager.getManagedArrays().size();
            List<int[]> counts = new ArrayList<>(); // {step, parameter manager, trainer manager}
            method.onAfterStep = info -> counts.add(new int[] {info.step(),
                    method.manager.getManagedArrays().size(), trainer.stateManager().getManagedArrays().size()});

            trainer.fit(method, new RegressionObjective(DATA, method));

            assertThat(counts).hasSize(200);
            assertThat(counts.get(0)[1]).isEqualTo(parametersBefore);
            assertThat(counts.get(0)[2]).as("m and v of 2 trainable parameters").isEqualTo(4);
            for (int[] count : counts) {
                assertThat(count[1]).as("parameter manager at step %d", count[0]).isEqualTo(parametersBefore);
                assertThat(count[2]).as("trainer manager at step %d", count[0]).isEqualTo(4);
            }
            assertThat(method.manager.getManagedArrays()).hasSize(parametersBefore);
            assertThat(trainer.stateManager()).isNull();
        }
    }

    @Test
    void garbageCollectionBetweenForwardAndBackwardKeepsLossesExact() {
        try (RegressionMethod plain = new RegressionMethod(0.01);
             RegressionMethod collected = new RegressionMethod(0.01)) {
            RegressionObjective gc = new RegressionObjective(DATA, collected);
            gc.collectGarbageBeforeBackward = true;
            TrainingSummary without = fit(config(2, 2, 2, 0.05, 1.0, 9), plain, new RegressionObjective(DATA, plain));
            TrainingSummary with = fit(config(2, 2, 2, 0.05, 1.0, 9), collected, gc);

            assertThat(with.stepLosses()).allMatch(Double::isFinite).isEqualTo(without.stepLosses());
            assertThat(collected.weightValues()).containsExactly(plain.weightValues());
        }
    }

    @Test
    void nanLossNamesStageAndStep() {
        try (RegressionMethod method = new RegressionMethod(0)) {
            RegressionObjective objective = new RegressionObjective(DATA, method);
            objective.nanAtCall = 6; // step 3, second micro-batch

            assertThatThrownBy(() -> fit(config(1, 2, 2, 0.05, 1.0, 1), method, objective))
                    .isInstanceOf(TrainingException.class)
                    .hasMessage("stage 'regression', step 3 of 4: loss is NaN (micro-batch 2 of 2)");

            // The failed step released the gradient collector: training can start again.
            TrainingSummary again = fit(config(1, 2, 2, 0.05, 1.0, 1), method, new RegressionObjective(DATA, method));
            assertThat(again.stepLosses()).hasSize(4).allMatch(Double::isFinite);
        }
    }

    @Test
    void hooksRunAroundEachUpdate() {
        try (RegressionMethod method = new RegressionMethod(0)) {
            List<String> gradientSeen = new ArrayList<>();
            method.onAfterBackward = info -> {
                try (NDArray gradient = method.weight.getGradient()) {
                    gradientSeen.add(gradient.abs().sum().getFloat() > 0 ? "gradient" : "zero");
                }
            };
            fit(config(1, 8, 1, 0.05, 1.0, 1), method, new RegressionObjective(DATA, method));

            assertThat(method.events).containsExactly(
                    "afterBackward 1/2", "afterStep 1/2", "afterBackward 2/2", "afterStep 2/2");
            assertThat(gradientSeen).containsExactly("gradient", "gradient");
        }
    }

    @Test
    void logsEveryLoggingStepAndTheLast() {
        TrainingConfig config = new TrainingConfig(1, 5, 2, 1, 0.05, 0.0, 0.9, 0.999, 1e-8, 0, "linear", 1.0, 2, 2);
        List<String> records = new ArrayList<>();
        List<Map<String, Double>> values = new ArrayList<>();
        MetricsSink sink = (stage, step, logged) -> {
            records.add(stage + "@" + step);
            values.add(logged);
        };
        RecordingProgress progress = new RecordingProgress();
        try (RegressionMethod method = new RegressionMethod(0)) {
            TrainingSummary summary = new Trainer(config, progress, sink, "regression")
                    .fit(method, new RegressionObjective(DATA, method));

            assertThat(records).containsExactly("regression@2", "regression@4", "regression@5");
            assertThat(values.get(0).keySet()).containsExactly(
                    "loss", "grad_norm", "learning_rate", "epoch", "tokens_per_second", "mae");
            List<Double> losses = summary.stepLosses();
            assertThat(values.get(0).get("loss")).isCloseTo((losses.get(0) + losses.get(1)) / 2, within(1e-12));
            assertThat(values.get(2).get("loss")).isCloseTo(losses.get(4), within(1e-12));
            assertThat(values.get(0).get("learning_rate")).isCloseTo(0.05 * 4 / 5, within(1e-12));
            assertThat(values.get(2).get("learning_rate")).isCloseTo(0.05 * 1 / 5, within(1e-12));
            assertThat(values.get(0).get("epoch")).isCloseTo(0.25, within(1e-12)); // 8 steps per epoch
            assertThat(values.get(2).get("epoch")).isCloseTo(0.625, within(1e-12));
            assertThat(values.get(1).get("tokens_per_second")).isPositive();
            assertThat(summary.logs()).extracting(StepLog::step).containsExactly(2, 4, 5);
            assertThat(summary.tokens()).isEqualTo(10);

            assertThat(progress.calls).hasSize(7);
            assertThat(progress.calls.get(0)).isEqualTo("start regression 5");
            assertThat(progress.calls.get(1)).startsWith("advance 1 loss=").contains(" lr=5.00e-02");
            assertThat(progress.calls.get(6)).isEqualTo("finish");
        }
    }

    @Test
    void refusesMethodWithoutTrainableParameters() {
        Method nothing = Map::<String, NDArray>of;
        try (RegressionMethod model = new RegressionMethod(0)) {
            assertThatThrownBy(() -> fit(config(1, 4, 1, 0.05, 1.0, 1), null, null))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> new Trainer(config(1, 4, 1, 0.05, 1.0, 1), ProgressListener.NONE,
                    MetricsSink.NONE, "regression").fit(nothing, new RegressionObjective(DATA, model)))
                    .isInstanceOf(TrainingException.class)
                    .hasMessageStartingWith("stage 'regression': ")
                    .hasMessageEndingWith(" has no trainable parameters; nothing to train");
        }
    }

    @Test
    void refusesParameterWithoutGradient() {
        try (RegressionMethod model = new RegressionMethod(0)) {
            Method frozen = () -> Map.of("linear.scale", model.scale);

            assertThatThrownBy(() -> new Trainer(config(1, 4, 1, 0.05, 1.0, 1), ProgressListener.NONE,
                    MetricsSink.NONE, "regression").fit(frozen, new RegressionObjective(DATA, model)))
                    .isInstanceOf(TrainingException.class)
                    .hasMessageContaining("stage 'regression': trainable parameter 'linear.scale' of ")
                    .hasMessageEndingWith(" does not require a gradient "
                            + "(the method must call setRequiresGradient(true) on it)");
        }
    }

    @Test
    void refusesInvalidConfig() {
        TrainingConfig bad = config(1, 0, 1, -1.0, 1.0, 1);

        assertThatThrownBy(() -> new Trainer(bad, ProgressListener.NONE, MetricsSink.NONE, "regression"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("2 problems:\n  1. batch_size: must be >= 1, was 0\n"
                        + "  2. learning_rate: must be > 0, was -1.0");
    }
}
