package io.finetune4j.api.eval;

import io.finetune4j.api.Stable;
import java.util.function.DoubleUnaryOperator;

/**
 * A metric over examples that can be recomputed on any resample of them, so the runner can bootstrap
 * confidence intervals and pair two models' scores. Evaluators never compute intervals themselves.
 */
@Stable
public interface Metric {
    /** Stable name, e.g. {@code perplexity}, {@code rougeL}. */
    String name();

    /** Number of examples. */
    int size();

    /** The value on every example once. */
    default double value() {
        int[] all = new int[size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return valueOn(all);
    }

    /** The value on the examples at {@code indices} (repeats allowed). */
    double valueOn(int[] indices);

    boolean higherIsBetter();

    /** Mean of per-example scores (accuracy, exact match). */
    static Metric mean(String name, double[] scores, boolean higherIsBetter) {
        double[] ones = new double[scores.length];
        java.util.Arrays.fill(ones, 1.0);
        return ratio(name, scores, ones, DoubleUnaryOperator.identity(), higherIsBetter);
    }

    /**
     * {@code transform(Σ numerators / Σ denominators)} over the chosen examples: token-weighted means
     * (perplexity is {@code exp} of summed NLL over summed tokens).
     */
    static Metric ratio(String name, double[] numerators, double[] denominators,
                        DoubleUnaryOperator transform, boolean higherIsBetter) {
        if (numerators.length != denominators.length) {
            throw new IllegalArgumentException("numerators and denominators differ in length");
        }
        double[] num = numerators.clone();
        double[] den = denominators.clone();
        return new Metric() {
            @Override public String name() { return name; }
            @Override public int size() { return num.length; }
            @Override public boolean higherIsBetter() { return higherIsBetter; }

            @Override
            public double valueOn(int[] indices) {
                double n = 0;
                double d = 0;
                for (int i : indices) {
                    n += num[i];
                    d += den[i];
                }
                return d == 0 ? Double.NaN : transform.applyAsDouble(n / d);
            }
        };
    }
}
