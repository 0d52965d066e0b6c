package io.finetune4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveStep;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Mean squared error of {@link RegressionMethod}'s linear model on {@link RegressionData}: a real
 * objective built from array ops, recording which indices it was asked for.
 */
final class RegressionObjective implements Objective {
    private final RegressionData data;
    private final RegressionMethod model;
    final List<List<Integer>> seen = new ArrayList<>();
    /** Collects garbage after building the loss, before the trainer's backward (STACK.md's scalar trap). */
    boolean collectGarbageBeforeBackward;
    /** Call number (from 1) whose loss becomes NaN; 0 = never. */
    int nanAtCall;
    /** What {@link #addsMethodRegularization()} answers. */
    boolean takesRegularization = true;

    RegressionObjective(RegressionData data, RegressionMethod model) {
        this.data = data;
        this.model = model;
    }

    @Override
    public boolean addsMethodRegularization() {
        return takesRegularization;
    }

    /** Kept until the next call, so the trainer's backward runs while they occupy freed memory. */
    private final List<ByteBuffer> poison = new ArrayList<>();

    /**
     * A Java-owned scalar that autograd still needs (STACK.md's {@code mul(Number)} trap) lives in a
     * 4-byte direct buffer. Collect garbage so the cleaner frees it, then fill fresh buffers of that size
     * with NaN so a backward that reads freed memory gives NaN instead of passing by luck. The cleaner
     * frees on its own thread: the garbage buffers made first overflow that thread's malloc cache, so
     * freed chunks reach the shared bins this thread allocates from.
     */
    private void collectGarbageAndReuseFreedMemory() {
        poison.clear();
        for (int i = 0; i < 200; i++) {
            ByteBuffer.allocateDirect(4);
        }
        System.gc();
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int i = 0; i < 200; i++) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            buffer.putFloat(0, Float.NaN);
            poison.add(buffer);
        }
    }

    @Override
    public int exampleCount() {
        return data.size();
    }

    @Override
    public ObjectiveStep compute(List<Integer> indices, NDManager step) {
        seen.add(List.copyOf(indices));
        int n = indices.size();
        float[] x = new float[n * data.features()];
        float[] y = new float[n];
        for (int row = 0; row < n; row++) {
            int example = indices.get(row);
            for (int j = 0; j < data.features(); j++) {
                x[row * data.features() + j] = (float) data.x()[example][j];
            }
            y[row] = (float) data.y()[example];
        }
        NDArray features = step.create(x, new Shape(n, data.features()));   // [n, features]
        NDArray targets = step.create(y, new Shape(n));                      // [n]
        // Step-owned arrays lead every op, so nothing lands in the parameters' manager.
        NDArray prediction = features.mul(model.scale)                       // [n, features]
                .mul(model.weight)                                           // [n, features]
                .sum(new int[] {1})                                          // [n]
                .add(model.bias);
        NDArray error = prediction.sub(targets);
        NDArray loss = error.square().mean();
        if (seen.size() == nanAtCall) {
            loss = loss.add(step.create(Float.NaN));
        }
        double meanAbsoluteError = error.abs().mean().getFloat();
        if (collectGarbageBeforeBackward) {
            collectGarbageAndReuseFreedMemory();
        }
        return new ObjectiveStep(loss, n, Map.of("mae", meanAbsoluteError));
    }
}
