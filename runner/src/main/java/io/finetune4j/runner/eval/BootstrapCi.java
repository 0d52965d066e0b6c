package io.finetune4j.runner.eval;

import io.finetune4j.api.eval.Metric;
import java.util.Arrays;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.apache.commons.math3.stat.descriptive.rank.Percentile.EstimationType;

/**
 * Percentile bootstrap confidence intervals (Efron and Tibshirani, "An Introduction to the Bootstrap",
 * ch. 13): recompute the metric on resamples of the example indices, drawn with replacement, and take
 * the {@code (1-c)/2} and {@code (1+c)/2} quantiles of the resampled values. Seeded, so the same
 * evaluation gives the same interval.
 */
public final class BootstrapCi {
    private final int resamples;
    private final double confidence;

    public BootstrapCi(int resamples, double confidence) {
        if (resamples < 1) {
            throw new IllegalArgumentException("resamples must be >= 1, was " + resamples);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), was " + confidence);
        }
        this.resamples = resamples;
        this.confidence = confidence;
    }

    public int resamples() {
        return resamples;
    }

    public double confidence() {
        return confidence;
    }

    /** The metric's value and interval; NaN bounds when it has no examples or no resample gives a number. */
    public Interval interval(Metric metric, long seed) {
        int n = metric.size();
        double value = metric.value();
        if (n == 0) {
            return new Interval(value, Double.NaN, Double.NaN, 0);
        }
        RandomGenerator random = new Well19937c(seed);
        double[] values = new double[resamples];
        int kept = 0;
        int[] indices = new int[n];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < n; i++) {
                indices[i] = random.nextInt(n);
            }
            double resampled = metric.valueOn(indices);
            // A ratio metric can be undefined on a resample (all denominators zero); leave those out.
            if (!Double.isNaN(resampled)) {
                values[kept++] = resampled;
            }
        }
        if (kept == 0) {
            return new Interval(value, Double.NaN, Double.NaN, n);
        }
        double[] sample = Arrays.copyOf(values, kept);
        // R-7 is the linear interpolation numpy.percentile uses by default.
        Percentile percentile = new Percentile().withEstimationType(EstimationType.R_7);
        percentile.setData(sample);
        double tail = (1 - confidence) / 2 * 100;
        return new Interval(value, percentile.evaluate(tail), percentile.evaluate(100 - tail), n);
    }
}
