package io.finetune4j.eval.generation;

import io.finetune4j.api.eval.Metric;
import java.util.function.ToDoubleFunction;

/**
 * A metric that is not a mean of per-example scores (corpus BLEU, macro F1): it keeps per-example
 * sufficient statistics and recomputes its value from whichever examples a resample picks.
 */
public final class ResampledMetric implements Metric {
    private final String name;
    private final int size;
    private final boolean higherIsBetter;
    private final ToDoubleFunction<int[]> valueOn;

    private ResampledMetric(String name, int size, boolean higherIsBetter, ToDoubleFunction<int[]> valueOn) {
        this.name = name;
        this.size = size;
        this.higherIsBetter = higherIsBetter;
        this.valueOn = valueOn;
    }

    /** {@code valueOn} receives example indices, repeats allowed. */
    public static Metric of(String name, int size, boolean higherIsBetter, ToDoubleFunction<int[]> valueOn) {
        return new ResampledMetric(name, size, higherIsBetter, valueOn);
    }

    @Override public String name() { return name; }

    @Override public int size() { return size; }

    @Override public boolean higherIsBetter() { return higherIsBetter; }

    @Override public double valueOn(int[] indices) { return valueOn.applyAsDouble(indices); }
}
