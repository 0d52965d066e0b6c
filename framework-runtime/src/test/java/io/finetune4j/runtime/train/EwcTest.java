package io.finetune4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.ProgressListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EwcTest {
    private static final RegressionData DATA = RegressionData.generate(6, 11);

    @Test
    void penaltyIsHalfLambdaTimesFisherWeightedSquaredDistanceAndItsGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] theta = {1f, -2f, 0.5f};
            float[] start = {0.5f, -1f, 0.5f};
            float[] fisher = {2f, 0.25f, 9f};
            NDArray parameter = manager.create(theta);
            parameter.setRequiresGradient(true);
            Ewc ewc = Ewc.of(List.of(parameter), List.of(manager.create(start)), List.of(manager.create(fisher)), 3.0);
            double expected = 0;
            for (int i = 0; i < 3; i++) {
                expected += 1.5 * fisher[i] * (theta[i] - start[i]) * (theta[i] - start[i]);
            }

            float[] gradient;
            try (NDManager scope = manager.newSubManager();
                 GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray penalty = ewc.penalty(scope);
                assertThat((double) penalty.getFloat()).isCloseTo(expected, within(1e-5));
                collector.backward(penalty);
            }
            gradient = parameter.getGradient().toFloatArray();
            for (int i = 0; i < 3; i++) {
                // ∂/∂θ λ/2 F (θ − θ0)² = λ F (θ − θ0)
                assertThat((double) gradient[i]).isCloseTo(3.0 * fisher[i] * (theta[i] - start[i]), within(1e-5));
            }
        }
    }

    @Test
    void fisherIsTheMeanSquaredPerExampleGradientAtTheStart() {
        try (RegressionMethod method = new RegressionMethod(0.0)) {
            RegressionObjective objective = new RegressionObjective(DATA, method);
            List<NDArray> parameters = new ArrayList<>(method.trainableParameters().values());

            Ewc ewc = Ewc.estimate(new EwcConfig(1.0, 100), objective, parameters, 3, method.manager);

            // ℓ_n = (x_n·(w∘s) + b − y_n)²: ∂ℓ/∂w_j = 2 r x_j s_j, ∂ℓ/∂b = 2 r
            double[] weight = new double[3];
            double bias = 0;
            for (int n = 0; n < DATA.size(); n++) {
                double residual = RegressionMethod.INITIAL_BIAS - DATA.y()[n];
                for (int j = 0; j < 3; j++) {
                    residual += DATA.x()[n][j] * RegressionMethod.INITIAL_WEIGHT[j] * RegressionMethod.SCALE[j];
                }
                for (int j = 0; j < 3; j++) {
                    double g = 2 * residual * DATA.x()[n][j] * RegressionMethod.SCALE[j];
                    weight[j] += g * g / DATA.size();
                }
                bias += 4 * residual * residual / DATA.size();
            }
            float[] fisherWeight = ewc.fisher().get(0).toFloatArray();
            for (int j = 0; j < 3; j++) {
                assertThat((double) fisherWeight[j]).isCloseTo(weight[j], within(1e-4 * Math.max(1, weight[j])));
            }
            assertThat((double) ewc.fisher().get(1).getFloat()).isCloseTo(bias, within(1e-4 * Math.max(1, bias)));
        }
    }

    @Test
    void trainingWithEwcLogsThePenaltyAndStaysCloserToTheStart() {
        TrainingConfig plain = new TrainingConfig(20, -1, 2, 1, 0.05, 0.0, 0.9, 0.999, 1e-8, 0, "constant", 0.0,
                1, 5);
        List<String> keys = new ArrayList<>();
        double free = distanceFromStart(plain, (stage, step, values) -> { });
        double held = distanceFromStart(plain.withEwc(new EwcConfig(1000.0, 6)),
                (stage, step, values) -> keys.addAll(values.keySet()));

        assertThat(keys).contains("ewc_penalty");
        assertThat(held).isLessThan(free * 0.5);
    }

    private static double distanceFromStart(TrainingConfig config, MetricsSink sink) {
        try (RegressionMethod method = new RegressionMethod(0.0)) {
            new Trainer(config, ProgressListener.NONE, sink, "ewc").fit(method, new RegressionObjective(DATA, method));
            float[] weight = method.weight.toFloatArray();
            double distance = 0;
            for (int j = 0; j < 3; j++) {
                distance += Math.pow(weight[j] - RegressionMethod.INITIAL_WEIGHT[j], 2);
            }
            return Math.sqrt(distance);
        }
    }

    @Test
    void validationNamesTheKeys() {
        ConfigProblems problems = ConfigProblems.at("stages[0].training.ewc");

        new EwcConfig(-1, 0).validate(problems);

        assertThat(problems.messages()).containsExactly(
                "stages[0].training.ewc.lambda: must be a number >= 0, was -1.0",
                "stages[0].training.ewc.fisher_rows: must be >= 1, was 0");
    }
}
