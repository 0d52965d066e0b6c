package io.finetune4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.StepInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A tiny method for trainer tests: a linear model {@code x·(w∘s) + b} whose weight {@code w} and bias
 * {@code b} train, while the feature scale {@code s} stays frozen. Optionally adds an L2 penalty
 * {@code λ·Σw²} as its regularization loss, and records hook calls.
 */
final class RegressionMethod implements Method, AutoCloseable {
    static final double[] INITIAL_WEIGHT = {0.1, -0.2, 0.05};
    static final double INITIAL_BIAS = 0.0;
    static final double[] SCALE = {1.0, 0.5, 2.0};

    final NDManager manager = NDManager.newBaseManager();
    final NDArray weight;
    final NDArray bias;
    final NDArray scale;
    final double penalty;
    final List<String> events = new ArrayList<>();
    Consumer<StepInfo> onAfterBackward = info -> {};
    Consumer<StepInfo> onAfterStep = info -> {};

    RegressionMethod(double penalty) {
        this.penalty = penalty;
        weight = manager.create(toFloats(INITIAL_WEIGHT));
        bias = manager.create(new float[] {(float) INITIAL_BIAS}, new Shape(1));
        scale = manager.create(toFloats(SCALE));
        weight.setRequiresGradient(true);
        bias.setRequiresGradient(true);
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        Map<String, NDArray> parameters = new LinkedHashMap<>();
        parameters.put("linear.weight", weight);
        parameters.put("linear.bias", bias);
        return parameters;
    }

    @Override
    public Optional<NDArray> regularizationLoss(NDManager scope) {
        if (penalty == 0) {
            return Optional.empty();
        }
        // λ·Σ w·w with the scope's array leading (results join the first operand's manager) and an array
        // scalar, not mul(Number), since this runs under autograd.
        return Optional.of(scope.create((float) penalty).mul(weight).mul(weight).sum());
    }

    @Override
    public void afterBackward(StepInfo step) {
        events.add("afterBackward " + step.step() + "/" + step.totalSteps());
        onAfterBackward.accept(step);
    }

    @Override
    public void afterStep(StepInfo step) {
        events.add("afterStep " + step.step() + "/" + step.totalSteps());
        onAfterStep.accept(step);
    }

    double[] weightValues() {
        return toDoubles(weight.toFloatArray());
    }

    double biasValue() {
        return bias.toFloatArray()[0];
    }

    @Override
    public void close() {
        manager.close();
    }

    static float[] toFloats(double[] values) {
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return floats;
    }

    static double[] toDoubles(float[] values) {
        double[] doubles = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            doubles[i] = values[i];
        }
        return doubles;
    }
}
